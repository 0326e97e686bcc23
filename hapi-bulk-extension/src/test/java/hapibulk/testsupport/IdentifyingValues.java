package hapibulk.testsupport;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The HIPAA Safe Harbor identifiers a set of source resources holds, read from their JSON (not through the code under
 * test), and the check that de-identified output holds none of them: no original name, street, city, full postal code,
 * telephone, email, identifier value, resource id, reference display, place name, device serial, attachment, and no
 * date finer than a year, narrative or URL anywhere.
 */
public final class IdentifyingValues {

	/** A date with at least a month: the output may hold years only. */
	private static final Pattern FINER_THAN_YEAR = Pattern.compile("^\\d{4}-\\d{2}.*");
	private static final Pattern PHONE = Pattern.compile(".*\\d{3}-\\d{3}-\\d{4}.*");
	private static final Set<String> IDENTIFYING_KEYS = Set.of("family", "given", "line", "city", "district",
			"serialNumber", "lotNumber", "distinctIdentifier", "deviceIdentifier", "carrierHRF", "carrierAIDC", "data",
			"subscriberId");

	private static final Pattern PEOPLE_AND_PLACES = Pattern.compile(
			"^(Patient|Practitioner|PractitionerRole|RelatedPerson|Person|Organization|Location)[/?].*");

	private final Set<String> values = new TreeSet<>();

	/** Collects the identifying values of these resources. */
	public IdentifyingValues add(List<JsonNode> resources) {
		for (JsonNode resource : resources) {
			values.add(resource.path("id").asText());
			String type = resource.path("resourceType").asText();
			if ((type.equals("Organization") || type.equals("Location")) && resource.hasNonNull("name")) {
				values.add(resource.get("name").asText());
			}
			collect(resource, null);
		}
		values.remove("");
		return this;
	}

	private void collect(JsonNode node, String key) {
		if (node.isArray()) {
			node.forEach(item -> collect(item, key));
			return;
		}
		if (node.isTextual()) {
			if (key != null && IDENTIFYING_KEYS.contains(key)) {
				values.add(node.asText());
			}
			return;
		}
		if (!node.isObject()) {
			return;
		}
		if (node.has("postalCode")) {
			values.add(node.get("postalCode").asText());
		}
		// identifier and telecom values, reference displays, a mother's maiden name
		if (key != null && (key.equals("identifier") || key.equals("telecom")) && node.path("value").isTextual()) {
			values.add(node.get("value").asText());
		}
		// the display of a reference to a person or a place (a reference to a Condition shows its code's display)
		if (node.has("display") && (node.has("identifier")
				|| PEOPLE_AND_PLACES.matcher(node.path("reference").asText()).matches())) {
			values.add(node.get("display").asText());
		}
		if (node.has("url") && node.path("url").asText().contains("mothersMaidenName")) {
			values.add(node.path("valueString").asText());
		}
		if (key != null && (key.equals("attachment") || key.equals("photo")) && node.has("url")) {
			values.add(node.get("url").asText());
		}
		for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
			Map.Entry<String, JsonNode> field = fields.next();
			collect(field.getValue(), field.getKey());
		}
	}

	public Set<String> values() {
		return values;
	}

	/** What of the collected values, and of dates finer than a year, narrative and URLs, the output still holds. */
	public List<String> foundIn(List<JsonNode> output) {
		List<String> found = new ArrayList<>();
		for (JsonNode resource : output) {
			scan(resource, null, resource.path("resourceType").asText(), found);
		}
		return found;
	}

	private void scan(JsonNode node, String key, String type, List<String> found) {
		if (node.isArray()) {
			node.forEach(item -> scan(item, key, type, found));
		} else if (node.isObject()) {
			for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
				Map.Entry<String, JsonNode> field = fields.next();
				if (field.getKey().equals("div")) {
					found.add(type + ": narrative");
				}
				scan(field.getValue(), field.getKey(), type, found);
			}
		} else if (node.isTextual()) {
			String text = node.asText();
			if (values.contains(text)) {
				found.add(type + "." + key + ": '" + text + "'");
			}
			if (FINER_THAN_YEAR.matcher(text).matches()) {
				found.add(type + "." + key + ": a date finer than the year '" + text + "'");
			}
			if (PHONE.matcher(text).matches() || text.contains("@")) {
				found.add(type + "." + key + ": a telephone or email '" + text + "'");
			}
			if (key != null && key.equals("url") && text.contains("://") && !text.startsWith("http://hl7.org/")) {
				found.add(type + "." + key + ": a URL '" + text + "'");
			}
		}
	}
}
