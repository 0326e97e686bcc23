package hapibulk.support;

import ca.uhn.fhir.rest.api.Constants;

import java.util.Locale;

/**
 * What an {@code Accept} header admits, for the bulk endpoints.
 * <p>
 * A kick-off must ask for {@code application/fhir+json}: the IG (STU3) says it is the only type
 * supported, and SMART's bulk-data tester sends {@code application/json} expecting a refusal, so plain
 * JSON and the pre-R4 {@code application/json+fhir} are refused too. Wildcards ({@code *}{@code /*}, {@code application/*})
 * are not: HTTP libraries send {@code *}{@code /*} by themselves when the caller sets no
 * {@code Accept} (curl, Java's and Ruby's clients), so admitting it would admit the missing header
 * that the IG's checks expect to be refused.
 */
public final class MediaTypes {

	public static final String FHIR_JSON = Constants.CT_FHIR_JSON_NEW;
	public static final String JSON = "application/json";

	private MediaTypes() {}

	/** Whether {@code accept} names {@code application/fhir+json} with a weight above 0. */
	public static boolean admitsFhirJson(String accept) {
		return names(accept, FHIR_JSON);
	}

	/**
	 * The content type of an OperationOutcome answer: {@code application/json} for a client that asks for
	 * plain JSON and not for FHIR JSON (some JSON clients parse nothing else), else {@code application/fhir+json}.
	 */
	public static String outcomeContentType(String accept) {
		return names(accept, JSON) && !names(accept, FHIR_JSON) && !names(accept, Constants.CT_FHIR_JSON)
				? JSON : FHIR_JSON;
	}

	/** Whether {@code accept} lists {@code mediaType} (parameters aside) with a weight above 0. */
	static boolean names(String accept, String mediaType) {
		if (accept == null) {
			return false;
		}
		for (String range : accept.split(",")) {
			String[] parts = range.split(";", -1);
			if (!parts[0].strip().toLowerCase(Locale.ROOT).equals(mediaType)) {
				continue;
			}
			if (!zeroWeight(parts)) {
				return true;
			}
		}
		return false;
	}

	private static boolean zeroWeight(String[] parts) {
		for (int i = 1; i < parts.length; i++) {
			String parameter = parts[i].replace(" ", "").toLowerCase(Locale.ROOT);
			if (parameter.startsWith("q=")) {
				try {
					return Double.parseDouble(parameter.substring(2)) <= 0;
				} catch (NumberFormatException e) {
					return true;
				}
			}
		}
		return false;
	}
}
