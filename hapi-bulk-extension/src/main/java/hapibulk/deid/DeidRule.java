package hapibulk.deid;

import ca.uhn.fhir.fhirpath.IFhirPath.IParsedExpression;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * One of a profile's {@code fhirPathRules}, compiled: applied in the profile's order, the first rule that reaches
 * an element decides it (a later rule does not touch it again).
 *
 * @param index   its place in {@code fhirPathRules}, from 0 (messages name it)
 * @param options what its method needs besides the path
 */
record DeidRule(int index, String path, DeidMethod method, RulePath compiled, Options options) {

	/**
	 * @param replaceWith  substitute: the replacement, a string for a primitive or a JSON object for a data type
	 * @param span         perturb: the width of the noise (an absolute value, or a fraction of the value)
	 * @param proportional perturb: whether {@code span} is a fraction of the value ({@code rangeType: proportional})
	 * @param roundTo      perturb: decimal places of the result, or null for the anonymizer's default
	 * @param cases        generalize: conditions and replacements, in order
	 * @param redactOthers generalize: whether values no case matches are removed ({@code otherValues: redact})
	 */
	record Options(JsonNode replaceWith, double span, boolean proportional, Integer roundTo, List<Case> cases,
			boolean redactOthers) {

		static final Options NONE = new Options(null, 0, false, null, List.of(), true);
	}

	/** A generalize case: the FHIRPath condition on the element, and the FHIRPath of its replacement. */
	record Case(String condition, IParsedExpression when, String replacement, IParsedExpression then) {}

	/** How a message names the rule. */
	String describe() {
		return "fhirPathRules[" + index + "] (path \"" + path + "\", method \"" + method.configName() + "\")";
	}
}
