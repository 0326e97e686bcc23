package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared 10-patient Synthea export (src-it/datasets), loaded through the ordinary FHIR REST
 * API as transaction bundles of PUTs in dependency order, and what the server should hold after.
 */
public final class SyntheaDataset {

	static final List<String> DEPENDENCY_ORDER = List.of("Organization", "Location", "Practitioner",
			"PractitionerRole", "Patient", "Device", "Encounter", "Condition", "AllergyIntolerance", "Immunization",
			"MedicationRequest", "Procedure", "DocumentReference");
	private static final int BUNDLE_SIZE = 200;

	/** Every resource by "Type/id", as in the files. */
	private final Map<String, ObjectNode> resources = new LinkedHashMap<>();

	private SyntheaDataset() {}

	public static SyntheaDataset tenPatients() {
		Path dir = Path.of(System.getProperty("hapibulk.datasets", "datasets")).resolve("synthea-10-patients");
		SyntheaDataset dataset = new SyntheaDataset();
		for (String type : DEPENDENCY_ORDER) {
			try {
				for (String line : Files.readAllLines(dir.resolve(type + ".000.ndjson"))) {
					if (!line.isBlank()) {
						ObjectNode resource = (ObjectNode) FhirHttp.JSON.readTree(line);
						dataset.resources.put(type + "/" + resource.get("id").asText(), resource);
					}
				}
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
		return dataset;
	}

	public int size() {
		return resources.size();
	}

	public Map<String, ObjectNode> resources() {
		return resources;
	}

	public void loadInto(FhirHttp server) {
		List<ObjectNode> all = new ArrayList<>(resources.values());
		for (int from = 0; from < all.size(); from += BUNDLE_SIZE) {
			ObjectNode bundle = FhirHttp.JSON.createObjectNode().put("resourceType", "Bundle").put("type", "transaction");
			ArrayNode entries = bundle.putArray("entry");
			for (ObjectNode resource : all.subList(from, Math.min(from + BUNDLE_SIZE, all.size()))) {
				String reference = resource.get("resourceType").asText() + "/" + resource.get("id").asText();
				ObjectNode entry = entries.addObject().put("fullUrl", reference);
				entry.set("resource", resource);
				entry.putObject("request").put("method", "PUT").put("url", reference);
			}
			HttpResponse<String> response = server.post("", bundle.toString(),
					"Content-Type", "application/fhir+json", "Accept", "application/fhir+json");
			assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		}
	}

	/**
	 * The resource as the server should return it, without meta: inline match URLs such as
	 * {@code Practitioner?identifier=system|value} resolved to the resource they identify.
	 */
	public ObjectNode expected(String key) {
		ObjectNode copy = resources.get(key).deepCopy();
		copy.remove("meta");
		resolveMatchUrls(copy, matchUrlTargets());
		return copy;
	}

	private Map<String, String> targets;

	private Map<String, String> matchUrlTargets() {
		if (targets == null) {
			targets = new HashMap<>();
			resources.forEach((key, resource) -> resource.path("identifier").forEach(identifier -> targets.put(
					key.split("/")[0] + "?identifier=" + identifier.path("system").asText() + "|"
							+ identifier.path("value").asText(), key)));
		}
		return targets;
	}

	private static void resolveMatchUrls(JsonNode node, Map<String, String> targets) {
		if (node instanceof ObjectNode object) {
			if (object.get("reference") instanceof TextNode reference && reference.asText().contains("?")) {
				String target = targets.get(reference.asText());
				assertThat(target).as("target of " + reference.asText()).isNotNull();
				object.put("reference", target);
			}
			object.forEach(child -> resolveMatchUrls(child, targets));
		} else if (node instanceof ArrayNode array) {
			array.forEach(child -> resolveMatchUrls(child, targets));
		}
	}
}
