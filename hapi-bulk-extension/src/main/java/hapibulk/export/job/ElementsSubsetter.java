package hapibulk.export.job;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.ExactJson;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code _elements}: keeps only the listed top-level elements of a resource, plus those the
 * resource cannot be valid without (cardinality 1..), its id, meta and modifier extensions, and
 * tags it {@code SUBSETTED} as the IG asks.
 */
public class ElementsSubsetter {

	static final String SUBSETTED_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

	private static final ObjectMapper EXACT = ExactJson.MAPPER;

	private final Set<String> kept;

	ElementsSubsetter(List<String> keptJsonNames) {
		this.kept = Set.copyOf(keptJsonNames);
	}

	/** The JSON property names of a top-level element of a type (all {@code value[x]} variants); empty if none. */
	public static Set<String> jsonNames(FhirContext fhirContext, String type, String element) {
		RuntimeResourceDefinition definition = fhirContext.getResourceDefinition(type);
		BaseRuntimeChildDefinition child = definition.getChildByName(element);
		if (child == null) {
			child = definition.getChildByName(element + "[x]");
		}
		return child == null ? Set.of() : child.getValidChildNames();
	}

	/**
	 * The JSON names a subset of {@code type} keeps, for the requested {@code _elements}; empty when
	 * none of them applies to the type (then resources of the type are exported whole).
	 */
	static List<String> keptNames(FhirContext fhirContext, String type, List<String> requested) {
		Set<String> listed = new TreeSet<>();
		for (String element : requested) {
			int dot = element.indexOf('.');
			if (dot < 0 || element.substring(0, dot).equals(type)) {
				listed.addAll(jsonNames(fhirContext, type, element.substring(dot + 1)));
			}
		}
		if (listed.isEmpty()) {
			return List.of();
		}
		Set<String> kept = new TreeSet<>(listed);
		kept.addAll(List.of("resourceType", "id", "meta", "modifierExtension", "implicitRules"));
		for (BaseRuntimeChildDefinition child : fhirContext.getResourceDefinition(type).getChildren()) {
			if (child.getMin() > 0) {
				kept.addAll(child.getValidChildNames());
			}
		}
		return List.copyOf(kept);
	}

	/** The line with only the kept elements (a primitive's {@code _name} twin follows its element). */
	byte[] subset(byte[] line) throws IOException {
		ObjectNode resource = (ObjectNode) EXACT.readTree(line);
		resource.properties().removeIf(field -> !kept.contains(field.getKey().startsWith("_")
				? field.getKey().substring(1) : field.getKey()));
		ObjectNode meta = resource.has("meta") ? (ObjectNode) resource.get("meta") : resource.putObject("meta");
		ArrayNode tags = meta.has("tag") ? (ArrayNode) meta.get("tag") : meta.putArray("tag");
		tags.addObject().put("system", SUBSETTED_SYSTEM).put("code", "SUBSETTED");
		return (EXACT.writeValueAsString(resource) + "\n").getBytes(StandardCharsets.UTF_8);
	}
}
