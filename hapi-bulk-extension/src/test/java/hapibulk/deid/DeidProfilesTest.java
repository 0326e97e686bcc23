package hapibulk.deid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static hapibulk.deid.DeidTesting.FHIR;
import static hapibulk.deid.DeidTesting.KEYS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start-up: profiles from files and the classpath, and every way a profile is refused, naming what is wrong. */
class DeidProfilesTest {

	@TempDir
	Path dir;

	@Test
	void profileFromAFile_andTheBuiltIn_areUsable_withKeysFromSettings() throws IOException {
		Path file = write("research.json", """
				{"fhirVersion": "R4", "processingErrors": "raise",
				 "fhirPathRules": [{"path": "Resource.id", "method": "cryptoHash"}],
				 "parameters": {"cryptoHashKey": "", "dateShiftScope": "folder"}}""");

		DeidProfiles profiles = new DeidProfiles(FHIR, settings(Map.of("research", file.toString())));

		assertThat(profiles.usableNames()).containsExactly("research", DeidProfiles.SAFE_HARBOR);
		assertThat(profiles.keyId("research")).get().asString().hasSize(16);
		assertThat(profiles.session("research", profiles.keyId("research").orElseThrow(), Instant.now())
				.pseudonymousId("Patient", "123")).isEqualTo(DeidMethodsTest.HASH_123);
	}

	@Test
	void builtInSafeHarbor_withoutAKey_waits_andSaysWhichSettingItNeeds() {
		DeidProfiles profiles = new DeidProfiles(FHIR, new DeidSettings(Map.of(), new DeidSettings.Keys(null, null, null),
				Map.of()));

		assertThat(profiles.isRegistered(DeidProfiles.SAFE_HARBOR)).isTrue();
		assertThat(profiles.usableNames()).isEmpty();
		assertThat(profiles.whyUnusable(DeidProfiles.SAFE_HARBOR)).get().asString()
				.contains("hapi.bulk.deid.keys.crypto-hash-key");
	}

	@Test
	void ownKeysPerProfile_giveOtherPseudonymsThanTheSharedKeys() throws IOException {
		Path file = write("partner.json", "{\"fhirPathRules\": [{\"path\": \"Resource.id\", \"method\": \"cryptoHash\"}]}");
		DeidSettings settings = new DeidSettings(Map.of("a", file.toString(), "b", file.toString()), KEYS,
				Map.of("b", new DeidSettings.Keys("another-key-0123456789", null, null)));

		DeidProfiles profiles = new DeidProfiles(FHIR, settings);

		String a = profiles.session("a", profiles.keyId("a").orElseThrow(), Instant.now()).pseudonymousId("Patient", "1");
		String b = profiles.session("b", profiles.keyId("b").orElseThrow(), Instant.now()).pseudonymousId("Patient", "1");
		assertThat(a).isNotEqualTo(b);
		assertThat(profiles.keyId("a")).isNotEqualTo(profiles.keyId("b"));
	}

	@Test
	void session_withKeysOtherThanTheExportStartedWith_isRefused() {
		DeidProfiles profiles = new DeidProfiles(FHIR, settings(Map.of()));

		assertThatThrownBy(() -> profiles.session(DeidProfiles.SAFE_HARBOR, "0000000000000000", Instant.now()))
				.hasMessageContaining("BULK-0917").hasMessageContaining("other keys");
	}

	@Test
	void unknownMethod_failsStartUp_namingTheRule() throws IOException {
		assertRefused("""
				{"fhirPathRules": [{"path": "Patient.name", "method": "redact"},
				  {"path": "Patient.gender", "method": "scramble"}]}""",
				"BULK-0901", "fhirPathRules[1]", "Patient.gender", "scramble", "unknown method");
	}

	@Test
	void pathThatDoesNotParse_failsStartUp_namingTheRule() throws IOException {
		assertRefused("{\"fhirPathRules\": [{\"path\": \"Patient.name.where(use = \", \"method\": \"redact\"}]}",
				"BULK-0901", "fhirPathRules[0]", "does not parse");
		assertRefused("{\"fhirPathRules\": [{\"path\": \"Patientt.name\", \"method\": \"redact\"}]}",
				"BULK-0901", "'Patientt' is not a resource type");
	}

	@Test
	void optionsOfTheWrongKind_failStartUp_namingTheRule() throws IOException {
		assertRefused("{\"fhirPathRules\": [{\"path\": \"Observation.value\", \"method\": \"perturb\"}]}",
				"BULK-0901", "fhirPathRules[0]", "span");
		assertRefused("{\"fhirPathRules\": [{\"path\": \"Patient.gender\", \"method\": \"redact\", \"span\": 3}]}",
				"BULK-0901", "'span'", "redact does not take");
		assertRefused("""
				{"fhirPathRules": [{"path": "Patient.gender", "method": "generalize", "cases": {"$this = (": "'x'"}}]}""",
				"BULK-0901", "does not parse");
	}

	@Test
	void misspeltParameter_orAKeyInTheFile_orAnotherFhirVersion_failStartUp() throws IOException {
		assertRefused("{\"fhirPathRules\": [], \"parameters\": {\"enablePartialZipcodesForRedact\": true}}",
				"BULK-0902", "unknown parameter 'enablePartialZipcodesForRedact'");
		assertRefused("{\"fhirPathRules\": [], \"parameters\": {\"cryptoHashKey\": \"secret-in-a-file\"}}",
				"BULK-0902", "keys are settings");
		assertRefused("{\"fhirVersion\": \"Stu3\", \"fhirPathRules\": []}", "BULK-0902", "this server is R4");
		assertRefused("{\"fhirPathRules\": [], \"processingErrors\": \"keep\"}", "BULK-0902", "raise");
	}

	@Test
	void fileThatIsNotJson_orMissing_failsStartUp() throws IOException {
		assertRefused("fhirPathRules: []", "BULK-0900", "is not JSON");
		assertThatThrownBy(() -> new DeidProfiles(FHIR, settings(Map.of("gone", dir.resolve("gone.json").toString()))))
				.hasMessageContaining("BULK-0900").hasMessageContaining("cannot be read");
	}

	@Test
	void methodWhoseKeyIsNotSet_failsStartUp_forAnOperatorsProfile() throws IOException {
		Path file = write("shift.json", "{\"fhirPathRules\": [{\"path\": \"Patient.birthDate\", \"method\": \"dateShift\"}]}");

		assertThatThrownBy(() -> new DeidProfiles(FHIR, new DeidSettings(Map.of("shift", file.toString()),
				new DeidSettings.Keys("crypto-key-0123456789", null, null), Map.of())))
				.hasMessageContaining("BULK-0904").hasMessageContaining("fhirPathRules[0]")
				.hasMessageContaining("hapi.bulk.deid.keys.date-shift-key");
	}

	@Test
	void shortKeys_theBuiltInName_andUnknownProfileKeys_failStartUp() throws IOException {
		Path file = write("p.json", "{\"fhirPathRules\": []}");

		assertThatThrownBy(() -> new DeidProfiles(FHIR, new DeidSettings(Map.of(), new DeidSettings.Keys("short", null,
				null), Map.of()))).hasMessageContaining("BULK-0903").hasMessageContaining("at least 16");
		assertThatThrownBy(() -> new DeidProfiles(FHIR, new DeidSettings(Map.of(), new DeidSettings.Keys(null, null,
				"not-16-24-or-32"), Map.of()))).hasMessageContaining("BULK-0903").hasMessageContaining("16, 24 or 32");
		assertThatThrownBy(() -> new DeidProfiles(FHIR, settings(Map.of(DeidProfiles.SAFE_HARBOR, file.toString()))))
				.hasMessageContaining("BULK-0905").hasMessageContaining("built-in");
		assertThatThrownBy(() -> new DeidProfiles(FHIR, new DeidSettings(Map.of(), KEYS, Map.of("nobody", KEYS))))
				.hasMessageContaining("BULK-0905").hasMessageContaining("nobody");
	}

	private void assertRefused(String profile, String... fragments) throws IOException {
		Path file = write("refused.json", profile);
		var thrown = assertThatThrownBy(() -> new DeidProfiles(FHIR, settings(Map.of("refused", file.toString()))))
				.isInstanceOf(IllegalStateException.class).hasMessageContaining("'refused'");
		for (String fragment : fragments) {
			thrown.hasMessageContaining(fragment);
		}
	}

	private static DeidSettings settings(Map<String, String> profiles) {
		return new DeidSettings(profiles, KEYS, Map.of());
	}

	private Path write(String name, String content) throws IOException {
		return Files.writeString(dir.resolve(name), content);
	}
}
