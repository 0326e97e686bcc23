package hapibulk.deid;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import static hapibulk.deid.DeidTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each method of the anonymizer's format against a handcrafted resource, with the output written out in full
 * (golden). Hashes and shifts were computed apart from this code: {@code echo -n p1 | openssl dgst -sha256 -hmac
 * crypto-key-0123456789}, and for a shift the first four bytes of the HMAC under the date-shift key, modulo 101,
 * minus 50 (p1: +10 days, p2: -38, enc1: see the test).
 */
class DeidMethodsTest {

	static final String HASH_P1 = "d8d340744c1ad0f03344f16b9fa2c1e7a9253182093cdd0bbde100fd00b5a89c";
	static final String HASH_C1 = "9153672c3b01d58088cd1d75f99dad8164d8dba621cc2298c8c8e3c0565d0f8b";
	static final String HASH_123 = "61630aa485baaa3c47cc65470d1f492aa211cc4775fa91397c55c16ebe4cdc1f";
	static final String HASH_ORG1 = "419b82cd9466a85935970b1d663b9ba0c565b5d65e5238576769696f5f216041";
	static final String HASH_X = "4847a85b922656c3e41598c8b0f9a4075397fcd52ff83eb26d31ebfc5d8ea444";

	@Test
	void keep_thenRedact_firstRuleDecides_andEmptiedElementsAreRemoved() {
		DeidSession session = session("""
				{"fhirPathRules": [
				  {"path": "Patient.name.where(use = 'official')", "method": "keep"},
				  {"path": "nodesByType('HumanName')", "method": "redact"},
				  {"path": "Patient.telecom", "method": "redact"}]}""");

		JsonNode out = deidentify(session, """
				{"resourceType":"Patient","id":"p1","name":[{"use":"official","family":"Doe","given":["Jane"]},
				{"use":"maiden","family":"Roe","given":["Jane","Ann"]}],"telecom":[{"system":"phone","value":"555-0100"}],
				"gender":"female"}""");

		assertThat(out).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},
				"name":[{"use":"official","family":"Doe","given":["Jane"]}],"gender":"female"}""".formatted(REDACTED)));
	}

	@Test
	void redact_withPartialDates_keepsTheYear_butNothingOfADateOver89_norOfAnInstant() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('date') | nodesByType('dateTime') | nodesByType('instant')",
				  "method": "redact"}],
				 "parameters": {"enablePartialDatesForRedact": true}}""");

		JsonNode young = deidentify(session, """
				{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2024-02-03T04:05:06.789Z"},
				"birthDate":"1970-05-06","deceasedDateTime":"2001-02-03T04:05:06Z"}""");
		JsonNode old = deidentify(session, """
				{"resourceType":"Patient","id":"p2","birthDate":"1935-01-02"}""");

		assertThat(young).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","security":[%s]},
				"birthDate":"1970","deceasedDateTime":"2001"}""".formatted(REDACTED)));
		// 1935-01-02 is 89 years and 364 days before 2025-01-01: kept as a year; 1935-01-01 would be 90
		assertThat(old.path("birthDate").asText()).isEqualTo("1935");
		assertThat(deidentify(session, "{\"resourceType\":\"Patient\",\"id\":\"p3\",\"birthDate\":\"1935-01-01\"}")
				.has("birthDate")).isFalse();
	}

	@Test
	void redact_withoutPartialDates_removesTheWholeDate() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "Patient.birthDate", "method": "redact"}]}""");

		JsonNode out = deidentify(session, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1970-05-06\"}");

		assertThat(out).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]}}""".formatted(REDACTED)));
	}

	@Test
	void redact_withPartialZipCodes_keepsThreeDigits_or000ForARestrictedArea() {
		DeidSession partial = session("""
				{"fhirPathRules": [{"path": "nodesByType('Address').postalCode", "method": "redact"}],
				 "parameters": {"enablePartialZipCodesForRedact": true, "restrictedZipCodeTabulationAreas": ["036"]}}""");
		DeidSession whole = session("""
				{"fhirPathRules": [{"path": "nodesByType('Address').postalCode", "method": "redact"}]}""");
		String patient = """
				{"resourceType":"Patient","id":"p1","address":[{"city":"Cambridge","postalCode":"02139"},
				{"postalCode":"03601-1234"}]}""";

		assertThat(deidentify(partial, patient)).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},
				"address":[{"city":"Cambridge","postalCode":"021"},{"postalCode":"000"}]}""".formatted(ABSTRED)));
		assertThat(deidentify(whole, patient)).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},
				"address":[{"city":"Cambridge"}]}""".formatted(REDACTED)));
	}

	@Test
	void redact_withPartialAges_foldsAgesOver89IntoNinetyOrMore_andKeepsTheOthers() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('Age').value", "method": "redact"}],
				 "parameters": {"enablePartialAgesForRedact": true}}""");

		JsonNode old = deidentify(session, """
				{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},
				"onsetAge":{"value":95,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}""");
		JsonNode young = deidentify(session, """
				{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p1"},
				"onsetAge":{"value":45,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}""");

		assertThat(old).isEqualTo(json("""
				{"resourceType":"Condition","id":"c1","meta":{"security":[%s]},"subject":{"reference":"Patient/p1"},
				"onsetAge":{"value":90,"comparator":">=","unit":"a","system":"http://unitsofmeasure.org","code":"a"}}"""
				.formatted(ABSTRED)));
		assertThat(young).isEqualTo(json("""
				{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p1"},
				"onsetAge":{"value":45,"unit":"a","system":"http://unitsofmeasure.org","code":"a"}}"""));
	}

	@Test
	void dateShift_byPatient_movesEveryDateOfThePatientByOneOffset_andZeroesTheTime() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('date') | nodesByType('dateTime')", "method": "dateShift"}]}""");

		JsonNode patient = deidentify(session, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1970-05-06\"}");
		JsonNode encounter = deidentify(session, """
				{"resourceType":"Encounter","id":"enc1","status":"finished","class":{"code":"AMB"},
				"subject":{"reference":"Patient/p1"},"period":{"start":"2020-03-04T10:22:33-04:00","end":"2020-03"}}""");
		JsonNode other = deidentify(session, "{\"resourceType\":\"Patient\",\"id\":\"p2\",\"birthDate\":\"1970-05-06\"}");

		// p1: +10 days; p2: -38 days; a date without a day cannot be shifted and is redacted
		assertThat(patient).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},"birthDate":"1970-05-16"}"""
				.formatted(PERTURBED)));
		assertThat(encounter).isEqualTo(json("""
				{"resourceType":"Encounter","id":"enc1","meta":{"security":[%s,%s]},"status":"finished",
				"class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"period":{"start":"2020-03-14T00:00:00-04:00"}}"""
				.formatted(REDACTED, PERTURBED)));
		assertThat(other.path("birthDate").asText()).isEqualTo("1970-03-29");
	}

	@Test
	void dateShift_byResource_usesEachResourcesOwnId_andRedactsADateOver89() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('date') | nodesByType('dateTime')", "method": "dateShift"}],
				 "parameters": {"dateShiftScope": "resource", "enablePartialDatesForRedact": true}}""");

		JsonNode encounter = deidentify(session, """
				{"resourceType":"Encounter","id":"p2","status":"finished","class":{"code":"AMB"},
				"subject":{"reference":"Patient/p1"},"period":{"start":"2020-03-04"}}""");
		JsonNode old = deidentify(session, "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1930-06-01\"}");

		// the Encounter's own id (p2: -38 days), not its patient's
		assertThat(encounter.path("period").path("start").asText()).isEqualTo("2020-01-26");
		assertThat(old).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]}}""".formatted(REDACTED)));
	}

	@Test
	void cryptoHash_ofIdsAndReferences_hashesTheIdPartOnly_soReferencesStillResolve() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "Resource.id", "method": "cryptoHash"},
				  {"path": "nodesByType('Reference').reference", "method": "cryptoHash"},
				  {"path": "Patient.identifier.value", "method": "cryptoHash"}]}""");

		JsonNode out = deidentify(session, """
				{"resourceType":"Patient","id":"p1","contained":[{"resourceType":"Organization","id":"c1","name":"Clinic"}],
				"identifier":[{"system":"urn:mrn","value":"x"}],
				"generalPractitioner":[{"reference":"Practitioner/123"},
				{"reference":"http://example.org/fhir/Organization/Org1"},{"reference":"urn:uuid:x"}],
				"managingOrganization":{"reference":"#c1"}}""");

		assertThat(out).isEqualTo(json("""
				{"resourceType":"Patient","id":"%s","meta":{"security":[%s]},
				"contained":[{"resourceType":"Organization","id":"%s","name":"Clinic"}],
				"identifier":[{"system":"urn:mrn","value":"%s"}],
				"generalPractitioner":[{"reference":"Practitioner/%s"},
				{"reference":"http://example.org/fhir/Organization/%s"},{"reference":"urn:uuid:%s"}],
				"managingOrganization":{"reference":"#%s"}}"""
				.formatted(HASH_P1, CRYTOHASH, HASH_C1, HASH_X, HASH_123, HASH_ORG1, HASH_X, HASH_C1)));
		assertThat(session.pseudonymousId("Patient", "p1")).isEqualTo(HASH_P1);
	}

	@Test
	void encrypt_writesBase64OfIvAndAesCbc_thatTheKeyDecrypts_sameValueSameCiphertext() throws Exception {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('Address').city", "method": "encrypt"}]}""");
		String patient = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"address\":[{\"city\":\"Springfield\"}]}";

		JsonNode out = deidentify(session, patient);

		String cipherText = out.path("address").get(0).path("city").asText();
		assertThat(out.path("meta")).isEqualTo(json("{\"security\":[%s]}".formatted(ENCRYPTED)));
		byte[] bytes = Base64.getDecoder().decode(cipherText);
		Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
		cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ENCRYPT_KEY.getBytes(StandardCharsets.UTF_8), "AES"),
				new IvParameterSpec(Arrays.copyOf(bytes, 16)));
		assertThat(new String(cipher.doFinal(bytes, 16, bytes.length - 16), StandardCharsets.UTF_8))
				.isEqualTo("Springfield");
		assertThat(deidentify(session, patient).path("address").get(0).path("city").asText()).isEqualTo(cipherText);
	}

	@Test
	void substitute_replacesAPrimitive_andAComplexElementWithTheGivenFragment_keepingWhatEarlierRulesDecided() {
		DeidSession session = session("""
				{"fhirPathRules": [{"path": "nodesByType('Address').city", "method": "substitute", "replaceWith": "example city"},
				  {"path": "Patient.address", "method": "substitute", "replaceWith": {"use": "home", "state": "example state"}}]}""");

		JsonNode out = deidentify(session, """
				{"resourceType":"Patient","id":"p1","address":[{"use":"work","line":["1 Main St"],"city":"Springfield",
				"state":"IL","postalCode":"62701"}]}""");

		assertThat(out).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},
				"address":[{"use":"home","city":"example city","state":"example state"}]}""".formatted(SUBSTITUTED)));
	}

	@Test
	void generalize_mapsValuesByTheFirstMatchingCase_andRedactsOrKeepsTheRest() {
		DeidSession ranges = session("""
				{"fhirPathRules": [{"path": "Observation.value.ofType(Quantity).value", "method": "generalize",
				  "cases": {"$this >= 0 and $this < 20": "20", "$this >= 20 and $this < 40": "40"}, "otherValues": "redact"}]}""");
		DeidSession strings = session("""
				{"fhirPathRules": [
				  {"path": "Patient.communication.language.coding.code", "method": "generalize",
				   "cases": {"$this in ('en-AU' | 'en-GB' | 'en-US')": "'en'"}, "otherValues": "keep"},
				  {"path": "Patient.address.postalCode", "method": "generalize",
				   "cases": {"$this.startsWith('123')": "$this.substring(0,2) + '****'"}}]}""");
		String observation = """
				{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
				"valueQuantity":{"value":%s,"unit":"kg"}}""";

		assertThat(deidentify(ranges, observation.formatted("18"))).isEqualTo(json("""
				{"resourceType":"Observation","id":"o1","meta":{"security":[%s]},"status":"final","code":{"text":"x"},
				"valueQuantity":{"value":20,"unit":"kg"}}""".formatted(GENERALIZED)));
		assertThat(deidentify(ranges, observation.formatted("55")).path("valueQuantity"))
				.isEqualTo(json("{\"unit\":\"kg\"}"));
		assertThat(deidentify(strings, """
				{"resourceType":"Patient","id":"p1","address":[{"postalCode":"12345"},{"postalCode":"99999"}],
				"communication":[{"language":{"coding":[{"code":"en-GB"},{"code":"fr"}]}}]}""")).isEqualTo(json("""
				{"resourceType":"Patient","id":"p1","meta":{"security":[%s]},"address":[{"postalCode":"12****"}],
				"communication":[{"language":{"coding":[{"code":"en"},{"code":"fr"}]}}]}""".formatted(GENERALIZED)));
	}

	@Test
	void perturb_addsBoundedNoise_roundedAsAsked_theSameEachTime() {
		DeidSession fixed = session("""
				{"fhirPathRules": [{"path": "Observation.value", "method": "perturb", "span": 10, "roundTo": 1}]}""");
		DeidSession proportional = session("""
				{"fhirPathRules": [{"path": "Observation.value", "method": "perturb", "span": 0.2,
				  "rangeType": "proportional"}]}""");
		String quantity = """
				{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
				"valueQuantity":{"value":100.0,"unit":"kg"}}""";
		String integer = """
				{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"x"},"valueInteger":50}""";

		JsonNode first = deidentify(fixed, quantity);
		BigDecimal value = first.path("valueQuantity").path("value").decimalValue();
		int perturbedInteger = deidentify(proportional, integer).path("valueInteger").asInt();
		BigDecimal proportionalValue = deidentify(proportional, quantity).path("valueQuantity").path("value")
				.decimalValue();

		assertThat(first.path("meta")).isEqualTo(json("{\"security\":[%s]}".formatted(PERTURBED)));
		assertThat(value).isBetween(new BigDecimal("95"), new BigDecimal("105")).isNotEqualTo(new BigDecimal("100.0"));
		assertThat(value.scale()).isLessThanOrEqualTo(1);
		assertThat(proportionalValue).isBetween(new BigDecimal("90"), new BigDecimal("110"));
		assertThat(proportionalValue.scale()).isLessThanOrEqualTo(2);
		assertThat(perturbedInteger).isBetween(45, 55);
		// golden: a pure function of the key, the resource and the value
		assertThat(deidentify(fixed, quantity)).isEqualTo(first);
		assertThat(value).isEqualByComparingTo(GOLDEN_PERTURBED);
	}

	@Test
	void processingError_raiseStopsWithTheRule_skipWritesAnEmptyLabelledResource() {
		String rules = "\"fhirPathRules\": [{\"path\": \"Patient.name\", \"method\": \"generalize\","
				+ " \"cases\": {\"true\": \"'x'\"}}]";
		DeidSession raise = session("{" + rules + "}");
		DeidSession skip = session("{\"processingErrors\": \"skip\", " + rules + "}");
		String patient = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"family\":\"Doe\"}]}";

		assertThatThrownBy(() -> deidentify(raise, patient)).hasMessageContaining("BULK-0918")
				.hasMessageContaining("fhirPathRules[0]").hasMessageContaining("primitive elements only")
				.hasMessageNotContaining("Doe").hasMessageNotContaining("p1");
		assertThat(deidentify(skip, patient)).isEqualTo(json("""
				{"resourceType":"Patient","meta":{"security":[%s]}}""".formatted(REDACTED)));
	}

	/** What the test keys make of o1's 100.0 with span 10 and one decimal (recorded from the first run). */
	static final BigDecimal GOLDEN_PERTURBED = new BigDecimal("99.2");
}
