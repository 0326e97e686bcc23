package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.support.BulkJson;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;

/** Profiles from JSON text and their sessions, for the unit tests of this package (no Spring). */
final class DeidTesting {

	static final FhirContext FHIR = FhirContext.forR4Cached();
	static final String CRYPTO_HASH_KEY = "crypto-key-0123456789";
	static final String DATE_SHIFT_KEY = "date-shift-key-0123456789";
	static final String ENCRYPT_KEY = "0123456789abcdef";
	static final DeidSettings.Keys KEYS = new DeidSettings.Keys(CRYPTO_HASH_KEY, DATE_SHIFT_KEY, ENCRYPT_KEY);
	/** "Today" for the over-89 rule: fixed, so that the golden outputs stay golden. */
	static final LocalDate TODAY = LocalDate.of(2025, 1, 1);

	private DeidTesting() {}

	/** A profile from its JSON, with the test keys. */
	static DeidProfile profile(String json) {
		return new DeidProfileParser(FHIR, FHIR.newFhirPath()).parse("test", "test", json, DeidKeys.of("test", KEYS));
	}

	static DeidSession session(String profileJson) {
		return new DeidSession(FHIR, new Anonymizer(FHIR, FHIR.newFhirPath(), profile(profileJson), TODAY));
	}

	/** The resource (JSON) through the profile, as a JSON tree. */
	static JsonNode deidentify(DeidSession session, String resourceJson) {
		byte[] line = session.line((resourceJson + "\n").getBytes(StandardCharsets.UTF_8));
		try {
			return BulkJson.MAPPER.readTree(new String(line, StandardCharsets.UTF_8));
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	static JsonNode json(String text) {
		try {
			return BulkJson.MAPPER.readTree(text);
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	/** The meta.security label of a kind, as the anonymizer writes it. */
	static String label(String code, String display) {
		return "{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationValue\",\"code\":\"" + code
				+ "\",\"display\":\"" + display + "\"}";
	}

	static final String REDACTED = label("REDACTED", "redacted");
	static final String ABSTRED = label("ABSTRED", "abstracted");
	static final String CRYTOHASH = label("CRYTOHASH", "cryptographic hash function");
	static final String ENCRYPTED = label("ENCRYPT", "exact value is transformed into ciphertext");
	static final String PERTURBED = label("PERTURBED", "exact value is replaced with another exact value");
	static final String SUBSTITUTED = label("SUBSTITUTED", "exact value is replaced with a predefined value");
	static final String GENERALIZED = label("GENERALIZED", "exact value is replaced with a general value");
}
