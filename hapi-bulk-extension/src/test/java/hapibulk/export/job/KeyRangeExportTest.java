package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A large type cut into key ranges on a single node: each range is a partition with its own part files, and
 * together they hold every resource of the type exactly once.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
class KeyRangeExportTest {

	static final Path files = temp();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.export.include-referenced-resources", () -> "false");
		registry.add("hapi.bulk.export.page-size", () -> "100");
		registry.add("hapi.bulk.export.max-resources-per-file", () -> "250");
		// 1,215 Encounters: three ranges of about 405; 13 Patients: one partition.
		registry.add("hapi.bulk.export.partition-size", () -> "500");
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	BulkJobTable table;

	@Test
	void largeType_isExportedInKeyRanges_eachWithItsOwnFiles_andEveryResourceOnce() throws Exception {
		// given
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		List<String> expected = new ArrayList<>();
		for (String type : List.of("Organization", "Location", "Practitioner", "PractitionerRole", "Patient",
				"Encounter")) {
			loader.load(SyntheaData.lines(type));
			if (type.equals("Patient") || type.equals("Encounter")) {
				SyntheaData.lines(type).forEach(line -> expected.add(type + "/" + id(line)));
			}
		}

		// when
		String id = exportJobService.submit(ExportRequest.system(List.of("Patient", "Encounter"), null,
				"http://localhost/fhir/$export"), false).id();
		await().atMost(Duration.ofMinutes(2)).until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();

		// then: the Encounters in three ranges of two files each, the Patients in one file
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).extracting(BulkManifest.ManifestFile::file).containsExactly("Patient-1.ndjson",
				"Encounter.1-1.ndjson", "Encounter.1-2.ndjson", "Encounter.2-1.ndjson", "Encounter.2-2.ndjson",
				"Encounter.3-1.ndjson", "Encounter.3-2.ndjson");
		assertThat(manifest.output()).filteredOn(file -> file.file().startsWith("Encounter."))
				.allSatisfy(file -> assertThat(file.type()).isEqualTo("Encounter"));
		// and each file's count and SHA-256 are right, and every resource is in exactly one file
		List<String> exported = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			byte[] bytes = Files.readAllBytes(files.resolve(job.id()).resolve(file.file()));
			List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().filter(line -> !line.isBlank())
					.toList();
			assertThat(lines).as(file.file()).hasSize((int) file.count());
			assertThat(file.sha256()).as(file.file())
					.isEqualToIgnoringCase(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
			lines.forEach(line -> exported.add(file.type() + "/" + id(line)));
		}
		assertThat(exported).containsExactlyInAnyOrderElementsOf(expected);
	}

	private static String id(String line) {
		return JsonCompare.tree(line).get("id").asText();
	}

	private static Path temp() {
		try {
			return Files.createTempDirectory("hapi-bulk-key-range-test");
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
