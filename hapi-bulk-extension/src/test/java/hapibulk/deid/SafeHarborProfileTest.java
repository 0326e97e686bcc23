package hapibulk.deid;

import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.testsupport.IdentifyingValues;
import hapibulk.testsupport.SyntheaData;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static hapibulk.deid.DeidTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in {@code safe-harbor} profile, without a server: every Synthea resource of the shared data through it
 * (the export test does the same through a real export), and a handcrafted US Core patient holding each kind of
 * Safe Harbor identifier, written out in full.
 */
class SafeHarborProfileTest {

	private final DeidProfiles profiles = new DeidProfiles(FHIR, new DeidSettings(Map.of(), KEYS, Map.of()));
	private final DeidSession session = profiles.session(DeidProfiles.SAFE_HARBOR,
			profiles.keyId(DeidProfiles.SAFE_HARBOR).orElseThrow(), Instant.parse("2025-01-01T00:00:00Z"));

	@Test
	void syntheaResources_keepNoIdentifyingValue() {
		List<JsonNode> source = new ArrayList<>();
		List<JsonNode> output = new ArrayList<>();
		for (String type : SyntheaData.DEPENDENCY_ORDER) {
			for (String line : SyntheaData.lines(type)) {
				source.add(json(line));
				output.add(deidentify(session, line));
			}
		}

		IdentifyingValues identifying = new IdentifyingValues().add(source);

		assertThat(identifying.values()).hasSizeGreaterThan(1000);
		assertThat(identifying.foundIn(output)).isEmpty();
		assertThat(output).allSatisfy(resource -> assertThat(resource.path("meta").path("security").toString())
				.contains("CRYTOHASH"));
	}

	@Test
	void usCorePatient_withEveryKindOfIdentifier() {
		JsonNode out = deidentify(session, """
				{"resourceType":"Patient","id":"p1",
				"text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Jane Doe</div>"},
				"extension":[
				 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
				  {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3"}},
				  {"url":"text","valueString":"White, lives on Elm Street"}]},
				 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"},
				 {"url":"http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName","valueString":"Roe"}],
				"identifier":[{"type":{"text":"SSN"},"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-12-3456"}],
				"name":[{"family":"Doe","given":["Jane"]}],
				"telecom":[{"system":"phone","value":"555-0100"},{"system":"email","value":"jane@example.org"},
				 {"system":"url","value":"https://jane.example.org"}],
				"gender":"female","birthDate":"1931-05-06","deceasedDateTime":"2021-02-03T04:05:06Z",
				"address":[{"line":["1 Elm Street"],"city":"Springfield","district":"Sangamon","state":"IL",
				 "postalCode":"62701","country":"US"},{"state":"NH","postalCode":"03601"}],
				"photo":[{"contentType":"image/jpeg","data":"AAAA"}],
				"contact":[{"name":{"family":"Doe","given":["John"]},"telecom":[{"value":"555-0101"}]}],
				"generalPractitioner":[{"reference":"Practitioner/123","display":"Dr. Who"}]}""");

		// born 1931-05-06: 93 on 2025-01-01, so no year either
		assertThat(out).isEqualTo(json("""
				{"resourceType":"Patient","id":"%s","meta":{"security":[%s,%s,%s]},
				"extension":[
				 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[
				  {"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3"}}]},
				 {"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"}],
				"identifier":[{"type":{"text":"SSN"},"system":"http://hl7.org/fhir/sid/us-ssn"}],
				"gender":"female","deceasedDateTime":"2021",
				"address":[{"state":"IL","postalCode":"627","country":"US"},{"state":"NH","postalCode":"000"}],
				"generalPractitioner":[{"reference":"Practitioner/%s"}]}"""
				.formatted(DeidMethodsTest.HASH_P1, REDACTED, ABSTRED, CRYTOHASH, DeidMethodsTest.HASH_123)));
	}

	@Test
	void clinicalNote_losesItsTextAndAttachment_butKeepsItsCodes() {
		JsonNode out = deidentify(session, """
				{"resourceType":"DocumentReference","id":"d1","status":"current",
				"type":{"coding":[{"system":"http://loinc.org","code":"34117-2"}]},
				"subject":{"reference":"Patient/p1"},"date":"2020-01-02T03:04:05Z","description":"Jane's visit",
				"content":[{"attachment":{"contentType":"text/plain","data":"SmFuZSBEb2U=","url":"http://x.example/1",
				 "title":"Jane Doe note","creation":"2020-01-02"}}]}""");

		assertThat(out.path("content").get(0).path("attachment")).isEqualTo(json("""
				{"contentType":"text/plain","creation":"2020"}"""));
		assertThat(out.has("description")).isFalse();
		// DocumentReference.date is an instant, which cannot be a bare year
		assertThat(out.has("date")).isFalse();
		assertThat(out.path("type").path("coding").get(0).path("code").asText()).isEqualTo("34117-2");
		assertThat(out.path("subject").path("reference").asText()).isEqualTo("Patient/" + DeidMethodsTest.HASH_P1);
	}
}
