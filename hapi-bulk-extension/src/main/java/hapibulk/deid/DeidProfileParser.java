package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.deid.DeidParameters.DateShiftScope;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a profile in the Microsoft FHIR anonymizer's configuration format ({@code fhirVersion},
 * {@code processingErrors}, {@code fhirPathRules}, {@code parameters}) and refuses at start-up, naming the rule,
 * whatever it could not apply as written: an unknown method, a path or case that does not parse, an option of the
 * wrong kind, a parameter it does not know (a misspelt {@code enablePartialZipCodesForRedact} would otherwise
 * silently keep whole postal codes), or a key written into the file.
 */
final class DeidProfileParser {

	private static final Set<String> TOP_LEVEL = Set.of("fhirVersion", "processingErrors", "processingError",
			"fhirPathRules", "parameters");
	private static final Set<String> KEYS = Set.of("dateShiftKey", "cryptoHashKey", "encryptKey");
	private static final Map<DeidMethod, Set<String>> OPTIONS = Map.of(
			DeidMethod.SUBSTITUTE, Set.of("replaceWith"),
			DeidMethod.PERTURB, Set.of("span", "rangeType", "roundTo"),
			DeidMethod.GENERALIZE, Set.of("cases", "otherValues"));

	private final FhirContext fhirContext;
	private final IFhirPath fhirPath;

	DeidProfileParser(FhirContext fhirContext, IFhirPath fhirPath) {
		this.fhirContext = fhirContext;
		this.fhirPath = fhirPath;
	}

	DeidProfile parse(String name, String source, String json, DeidKeys keys) {
		JsonNode root;
		try {
			root = BulkJson.MAPPER.readTree(json);
		} catch (JsonProcessingException e) {
			throw unreadable(name, source, "is not JSON: " + e.getOriginalMessage());
		}
		if (!(root instanceof ObjectNode)) {
			throw unreadable(name, source, "is not a JSON object");
		}
		root.fieldNames().forEachRemaining(field -> {
			if (!TOP_LEVEL.contains(field)) {
				throw invalid(name, source, "has an unknown entry '" + field + "' (known: fhirVersion, processingErrors,"
						+ " fhirPathRules, parameters)");
			}
		});
		checkVersion(name, source, root.path("fhirVersion"));
		boolean skip = processingErrors(name, source, root.has("processingErrors") ? root.get("processingErrors")
				: root.path("processingError"));
		DeidParameters parameters = parameters(name, source, root.path("parameters"));
		JsonNode rulesNode = root.path("fhirPathRules");
		if (!rulesNode.isArray()) {
			throw invalid(name, source, "needs fhirPathRules, a list of {path, method}");
		}
		List<DeidRule> rules = new ArrayList<>();
		for (int i = 0; i < rulesNode.size(); i++) {
			rules.add(rule(name, source, i, rulesNode.get(i)));
		}
		return new DeidProfile(name, source, rules, parameters, skip, keys);
	}

	private void checkVersion(String name, String source, JsonNode version) {
		if (version.isMissingNode() || version.isNull() || version.asText().isEmpty()) {
			return;
		}
		String server = fhirContext.getVersion().getVersion().name();
		if (!version.isTextual() || !version.asText().equalsIgnoreCase(server)) {
			throw invalid(name, source, "is for FHIR " + version + "; this server is " + server);
		}
	}

	private static boolean processingErrors(String name, String source, JsonNode value) {
		if (value.isMissingNode() || value.isNull()) {
			return false;
		}
		return switch (value.asText().toLowerCase(Locale.ROOT)) {
			case "raise" -> false;
			case "skip" -> true;
			default -> throw invalid(name, source, "has processingErrors '" + value.asText() + "': use raise (the"
					+ " export fails) or skip (the resource is written empty, labelled REDACTED)");
		};
	}

	private static DeidParameters parameters(String name, String source, JsonNode node) {
		if (node.isMissingNode() || node.isNull()) {
			return DeidParameters.DEFAULTS;
		}
		if (!node.isObject()) {
			throw invalid(name, source, "has parameters that are not a JSON object");
		}
		DateShiftScope scope = DeidParameters.DEFAULTS.dateShiftScope();
		boolean ages = false;
		boolean dates = false;
		boolean zips = false;
		List<String> restricted = new ArrayList<>();
		for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
			Map.Entry<String, JsonNode> field = fields.next();
			JsonNode value = field.getValue();
			switch (field.getKey()) {
				case "dateShiftScope" -> scope = dateShiftScope(name, source, value);
				case "enablePartialAgesForRedact" -> ages = bool(name, source, field.getKey(), value);
				case "enablePartialDatesForRedact" -> dates = bool(name, source, field.getKey(), value);
				case "enablePartialZipCodesForRedact" -> zips = bool(name, source, field.getKey(), value);
				case "restrictedZipCodeTabulationAreas" -> {
					if (!value.isArray()) {
						throw invalid(name, source, "has restrictedZipCodeTabulationAreas that is not a list");
					}
					value.forEach(zip -> restricted.add(zip.asText()));
				}
				default -> {
					if (!KEYS.contains(field.getKey())) {
						throw invalid(name, source, "has an unknown parameter '" + field.getKey() + "'");
					}
					if (!value.isNull() && !value.asText().isEmpty()) {
						throw invalid(name, source, "holds its " + field.getKey() + ": keys are settings ("
								+ DeidSettings.PREFIX + ".keys.* or " + DeidSettings.PREFIX + ".profile-keys." + name
								+ ".*), not part of a profile; remove it from the file");
					}
				}
			}
		}
		return new DeidParameters(scope, ages, dates, zips, List.copyOf(restricted));
	}

	private static DateShiftScope dateShiftScope(String name, String source, JsonNode value) {
		try {
			return DateShiftScope.valueOf(value.asText().toUpperCase(Locale.ROOT));
		} catch (IllegalArgumentException e) {
			throw invalid(name, source, "has dateShiftScope '" + value.asText() + "': use patient, resource, file or"
					+ " folder");
		}
	}

	private static boolean bool(String name, String source, String parameter, JsonNode value) {
		if (!value.isBoolean()) {
			throw invalid(name, source, "has " + parameter + " '" + value + "', not true or false");
		}
		return value.asBoolean();
	}

	private DeidRule rule(String name, String source, int index, JsonNode node) {
		if (!node.isObject()) {
			throw ruleError(name, source, "fhirPathRules[" + index + "] is not a JSON object");
		}
		String path = node.path("path").asText("");
		String method = node.path("method").asText("");
		String where = "fhirPathRules[" + index + "] (path \"" + path + "\", method \"" + method + "\")";
		if (path.isBlank()) {
			throw ruleError(name, source, where + " has no path");
		}
		DeidMethod known = DeidMethod.named(method).orElseThrow(() -> ruleError(name, source, where
				+ " names an unknown method: use keep, redact, dateShift, cryptoHash, encrypt, substitute, generalize"
				+ " or perturb"));
		Set<String> allowed = OPTIONS.getOrDefault(known, Set.of());
		node.fieldNames().forEachRemaining(field -> {
			if (!field.equals("path") && !field.equals("method") && !allowed.contains(field)) {
				throw ruleError(name, source, where + " has '" + field + "', which " + known.configName()
						+ " does not take");
			}
		});
		RulePath compiled;
		try {
			compiled = RulePath.compile(path, fhirPath, fhirContext.getResourceTypes());
		} catch (IllegalArgumentException e) {
			throw ruleError(name, source, where + ": " + e.getMessage());
		}
		DeidRule.Options options;
		try {
			options = RuleOptions.of(known, node, fhirPath);
		} catch (IllegalArgumentException e) {
			throw ruleError(name, source, where + ": " + e.getMessage());
		}
		return new DeidRule(index, path, known, compiled, options);
	}

	private static String prefix(String name, String source) {
		return "De-identification profile '" + name + "' (" + source + ") ";
	}

	static IllegalStateException unreadable(String name, String source, String problem) {
		return new IllegalStateException(BulkErrors.code(900) + prefix(name, source) + problem);
	}

	private static IllegalStateException invalid(String name, String source, String problem) {
		return new IllegalStateException(BulkErrors.code(902) + prefix(name, source) + problem);
	}

	private static IllegalStateException ruleError(String name, String source, String problem) {
		return new IllegalStateException(BulkErrors.code(901) + prefix(name, source) + problem);
	}
}
