package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.List;

/**
 * The replacement of a substitute rule for a complex element, as a model object of the element's type: HAPI parses
 * data types only inside resources, so the JSON goes in as the value of a {@code Parameters} parameter (whose
 * value[x] takes every general-purpose data type). Backbone elements have no type of their own to parse into.
 */
final class Substitution {

	private Substitution() {}

	static IBase parse(FhirContext fhirContext, String type, JsonNode replaceWith) {
		if (type.isEmpty() || !Character.isUpperCase(type.charAt(0)) || type.contains(".")) {
			throw new IllegalArgumentException("substitute with an object needs a data type; " + type + " is not one");
		}
		ObjectNode parameters = BulkJson.MAPPER.createObjectNode().put("resourceType", "Parameters");
		ObjectNode parameter = parameters.putArray("parameter").addObject().put("name", "replaceWith");
		parameter.set("value" + type, replaceWith == null ? BulkJson.MAPPER.createObjectNode() : replaceWith);
		IBaseResource parsed = fhirContext.newJsonParser().parseResource(parameters.toString());
		List<IBase> values = fhirContext.newTerser().getValues(parsed, "Parameters.parameter.value" + type);
		if (values.isEmpty()) {
			// An empty object: an element of the type with nothing in it.
			return fhirContext.getElementDefinition(type).newInstance();
		}
		return values.get(0);
	}
}
