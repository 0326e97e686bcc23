package hapibulk.deid;

import ca.uhn.fhir.fhirpath.IFhirPath;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.deid.DeidRule.Case;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The options of substitute, perturb and generalize, read and checked (FHIRPath cases parsed) at start-up. */
final class RuleOptions {

	private RuleOptions() {}

	/** @throws IllegalArgumentException saying what is wrong (the caller names the rule) */
	static DeidRule.Options of(DeidMethod method, JsonNode rule, IFhirPath fhirPath) {
		return switch (method) {
			case SUBSTITUTE -> substitute(rule);
			case PERTURB -> perturb(rule);
			case GENERALIZE -> generalize(rule, fhirPath);
			default -> DeidRule.Options.NONE;
		};
	}

	private static DeidRule.Options substitute(JsonNode rule) {
		JsonNode replaceWith = rule.get("replaceWith");
		if (replaceWith != null && !replaceWith.isNull() && !replaceWith.isValueNode() && !replaceWith.isObject()) {
			throw new IllegalArgumentException("replaceWith must be a value or a JSON object");
		}
		return new DeidRule.Options(replaceWith == null || replaceWith.isNull() ? null : replaceWith, 0, false, null,
				List.of(), true);
	}

	private static DeidRule.Options perturb(JsonNode rule) {
		JsonNode span = rule.get("span");
		if (span == null || !span.isNumber() || span.asDouble() < 0) {
			throw new IllegalArgumentException("perturb needs span, a number of 0 or more");
		}
		String rangeType = rule.path("rangeType").asText("fixed").toLowerCase(Locale.ROOT);
		if (!rangeType.equals("fixed") && !rangeType.equals("proportional")) {
			throw new IllegalArgumentException("rangeType must be fixed or proportional, not '" + rangeType + "'");
		}
		Integer roundTo = null;
		if (rule.has("roundTo")) {
			JsonNode value = rule.get("roundTo");
			if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 0 || value.asInt() > 28) {
				throw new IllegalArgumentException("roundTo must be a whole number from 0 to 28");
			}
			roundTo = value.asInt();
		}
		return new DeidRule.Options(null, span.asDouble(), rangeType.equals("proportional"), roundTo, List.of(), true);
	}

	private static DeidRule.Options generalize(JsonNode rule, IFhirPath fhirPath) {
		JsonNode cases = rule.get("cases");
		if (cases == null || !cases.isObject()) {
			throw new IllegalArgumentException("generalize needs cases, an object of FHIRPath condition to replacement");
		}
		List<Case> parsed = new ArrayList<>();
		for (Iterator<Map.Entry<String, JsonNode>> fields = cases.fields(); fields.hasNext(); ) {
			Map.Entry<String, JsonNode> entry = fields.next();
			String replacement = entry.getValue().asText();
			parsed.add(new Case(entry.getKey(), parse(fhirPath, entry.getKey()), replacement,
					parse(fhirPath, replacement)));
		}
		String others = rule.path("otherValues").asText("redact").toLowerCase(Locale.ROOT);
		if (!others.equals("redact") && !others.equals("keep")) {
			throw new IllegalArgumentException("otherValues must be redact or keep, not '" + others + "'");
		}
		return new DeidRule.Options(null, 0, false, null, List.copyOf(parsed), others.equals("redact"));
	}

	private static IFhirPath.IParsedExpression parse(IFhirPath fhirPath, String expression) {
		try {
			return fhirPath.parse(expression);
		} catch (Exception e) {
			throw new IllegalArgumentException("the case FHIRPath '" + expression + "' does not parse: "
					+ e.getMessage(), e);
		}
	}
}
