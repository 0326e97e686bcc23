package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * AuditEvents are written as the version's JSON and parsed by the host's own parser: the shapes stay readable
 * side by side, and no class of a version's model is loaded on a host of another.
 */
final class AuditEventJson {

	private AuditEventJson() {}

	static ObjectNode start() {
		return BulkJson.MAPPER.createObjectNode().put("resourceType", "AuditEvent");
	}

	static ObjectNode coding(String system, String code, String display) {
		ObjectNode coding = BulkJson.MAPPER.createObjectNode().put("system", system).put("code", code);
		return display == null ? coding : coding.put("display", display);
	}

	/** The array property {@code name} of {@code node}, made when absent. */
	static ArrayNode array(ObjectNode node, String name) {
		return node.has(name) ? (ArrayNode) node.get(name) : node.putArray(name);
	}

	static IBaseResource parse(FhirContext fhirContext, ObjectNode event) {
		return fhirContext.newJsonParser().parseResource(event.toString());
	}
}
