package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobKind;
import hapibulk.job.InterruptedJobRestarter;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.JobParametersBuilder;
import java.time.LocalDateTime;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.ManifestJson;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.StringType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The export job over a real HAPI JPA server and database (H2, or PostgreSQL with -Ppostgres):
 * every exported line must equal what HAPI's own read returns for that resource, meta included.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportJobTest {

	private static final List<String> SYNTHEA_TYPES = List.of("Organization", "Location", "Practitioner",
			"PractitionerRole", "Patient", "Device", "AllergyIntolerance", "Encounter", "DocumentReference");

	static final Path files = tempDirectory();

	private static Path tempDirectory() {
		try {
			return Files.createTempDirectory("hapi-bulk-export-test");
		} catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", () -> files.toString());
		registry.add("hapi.bulk.export.max-resources-per-file", () -> "500");
		registry.add("hapi.bulk.export.page-size", () -> "200");
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	BulkJobTable table;
	@Autowired
	BulkBatchEngine engine;
	@Autowired
	InterruptedJobRestarter restarter;

	int syntheaCount;
	Instant beforeHandMade;

	@BeforeAll
	void loadData() throws InterruptedException {
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		for (String type : SYNTHEA_TYPES) {
			syntheaCount += loader.load(SyntheaData.lines(type));
		}
		Thread.sleep(5);
		beforeHandMade = Instant.now();
		Thread.sleep(5);
		createHandMadeResources();
	}

	/** Resources with every kind of meta HAPI keeps apart from the JSON, a deletion and an update. */
	private void createHandMadeResources() {
		SystemRequestDetails request = new SystemRequestDetails();
		Observation observation = new Observation();
		observation.setId("obs-meta");
		observation.setStatus(Observation.ObservationStatus.FINAL);
		observation.getCode().setText("Körpergewicht 体重");
		observation.setValue(new Quantity().setValueElement(new org.hl7.fhir.r4.model.DecimalType(new BigDecimal("70.50")))
				.setUnit("kg"));
		observation.getMeta().addProfile("http://example.org/StructureDefinition/weight");
		observation.getMeta().addTag(new Coding("http://example.org/tags", "t1", "Tag one"));
		observation.getMeta().addSecurity(new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R",
				"restricted"));
		observation.getMeta().setSource("http://source.example.org#req-42");
		observation.getMeta().addExtension("http://example.org/meta-ext", new StringType("kept"));
		daoRegistry.getResourceDao("Observation").update(observation, request);

		Patient updated = new Patient();
		updated.setId("pat-updated");
		updated.addName().setFamily("First");
		daoRegistry.getResourceDao("Patient").update(updated, request);
		updated.getNameFirstRep().setFamily("Second");
		daoRegistry.getResourceDao("Patient").update(updated, request);

		Patient deleted = new Patient();
		deleted.setId("pat-deleted");
		daoRegistry.getResourceDao("Patient").update(deleted, request);
		daoRegistry.getResourceDao("Patient").delete(new IdType("Patient/pat-deleted"), request);
	}

	@Test
	void systemExport_writesEveryCurrentResourceOnce_asHapiReadsIt() throws IOException {
		// when
		BulkJob job = exportAndWait(new ExportRequest(ExportLevel.SYSTEM, List.of(), null,
				"application/fhir+ndjson", "http://localhost/fhir/$export"));

		// then
		BulkManifest manifest = ManifestJson.read(job.manifestJson());
		Map<String, String> exported = readAll(job, manifest);
		assertThat(exported).hasSize(syntheaCount + 2);
		assertThat(exported).doesNotContainKey("Patient/pat-deleted");
		assertThat(exported.get("Patient/pat-updated")).contains("\"Second\"").contains("\"versionId\":\"2\"");
		assertThat(exported.get("Observation/obs-meta")).contains("70.50");
		assertThat(job.progressDone()).isEqualTo(job.progressTotal()).isEqualTo(syntheaCount + 2);

		SystemRequestDetails request = new SystemRequestDetails();
		var parser = fhirContext.newJsonParser();
		for (Map.Entry<String, String> entry : exported.entrySet()) {
			IBaseResource read = daoRegistry.getResourceDao(entry.getKey().split("/")[0])
					.read(new IdType(entry.getKey()), request);
			assertThat(JsonCompare.normalized(entry.getValue()))
					.as(entry.getKey())
					.isEqualTo(JsonCompare.normalized(parser.encodeResourceToString(read)));
		}
	}

	@Test
	void systemExport_splitsTypesIntoPartFiles_withCountsAndSizes() throws IOException {
		BulkJob job = exportAndWait(new ExportRequest(ExportLevel.SYSTEM, List.of("DocumentReference", "Encounter"),
				null, "application/fhir+ndjson", "http://localhost/fhir/$export?_type=DocumentReference,Encounter"));

		BulkManifest manifest = ManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).extracting(BulkManifest.ManifestFile::file).containsExactly(
				"DocumentReference-1.ndjson", "DocumentReference-2.ndjson", "DocumentReference-3.ndjson",
				"Encounter-1.ndjson", "Encounter-2.ndjson", "Encounter-3.ndjson");
		assertThat(manifest.output()).extracting(BulkManifest.ManifestFile::count)
				.containsExactly(500L, 500L, 215L, 500L, 500L, 215L);
		for (BulkManifest.ManifestFile file : manifest.output()) {
			Path path = files.resolve(job.id()).resolve(file.file());
			assertThat(Files.size(path)).isEqualTo(file.bytes());
			try (Stream<String> lines = Files.lines(path)) {
				assertThat(lines.count()).isEqualTo(file.count());
			}
		}
		assertThat(manifest.request()).endsWith("_type=DocumentReference,Encounter");
	}

	@Test
	void systemExport_since_exportsOnlyLaterResources() throws IOException {
		BulkJob job = exportAndWait(new ExportRequest(ExportLevel.SYSTEM, List.of(), beforeHandMade,
				"application/fhir+ndjson", "http://localhost/fhir/$export"));

		Map<String, String> exported = readAll(job, ManifestJson.read(job.manifestJson()));
		assertThat(exported.keySet()).containsExactlyInAnyOrder("Observation/obs-meta", "Patient/pat-updated");
	}

	@Test
	void systemExport_ofTypeWithoutResources_completesWithEmptyOutput() {
		BulkJob job = exportAndWait(new ExportRequest(ExportLevel.SYSTEM, List.of("Medication"), null,
				"application/fhir+ndjson", "http://localhost/fhir/$export?_type=Medication"));

		assertThat(ManifestJson.read(job.manifestJson()).output()).isEmpty();
	}

	@Test
	void exportLeftRunningByADeadProcess_isRestartedAtStartUp_andCompletes() {
		// given: the process died right after a kick-off; its execution is still STARTED
		String jobId = "0123456789abcdef0123456789abcdef";
		Instant now = Instant.now();
		table.insert(new BulkJob(jobId, BulkJobKind.EXPORT, BulkJobState.RUNNING, null, "http://localhost/fhir/$export",
				"{}", now, now, now.plusSeconds(60), null, 0, 0, null, null));
		JobExecution dead = createStartedExecution(new JobParametersBuilder()
				.addString(BulkJobKeys.BULK_JOB_ID, jobId)
				.addString(ExportJobKeys.TYPES, "Patient", false)
				.toJobParameters());
		table.setExecution(jobId, dead.getId());

		// when
		restarter.restartInterrupted();

		// then
		await().atMost(Duration.ofMinutes(1)).until(() -> !table.find(jobId).orElseThrow().state().isActive());
		BulkJob job = table.find(jobId).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(job.executionId()).isNotEqualTo(dead.getId());
		assertThat(engine.jobExplorer().getJobExecution(dead.getId()).getStatus()).isEqualTo(BatchStatus.FAILED);
		assertThat(ManifestJson.read(job.manifestJson()).output()).singleElement()
				.satisfies(file -> assertThat(file.count()).isEqualTo(SyntheaData.lines("Patient").size() + 1));
	}

	private JobExecution createStartedExecution(JobParameters parameters) {
		try {
			JobExecution execution = engine.jobRepository().createJobExecution(ExportJobConfig.JOB_NAME, parameters);
			execution.setStatus(BatchStatus.STARTED);
			execution.setStartTime(LocalDateTime.now());
			engine.jobRepository().update(execution);
			return execution;
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private BulkJob exportAndWait(ExportRequest request) {
		String id = exportJobService.submit(request).id();
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	/** Every exported resource by "Type/id"; fails on a duplicate or a line in a file of another type. */
	private Map<String, String> readAll(BulkJob job, BulkManifest manifest) throws IOException {
		Map<String, String> byId = new HashMap<>();
		List<String> duplicates = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			for (String line : Files.readAllLines(files.resolve(job.id()).resolve(file.file()))) {
				var tree = JsonCompare.tree(line);
				assertThat(tree.get("resourceType").asText()).isEqualTo(file.type());
				String key = file.type() + "/" + tree.get("id").asText();
				if (byId.put(key, line) != null) {
					duplicates.add(key);
				}
			}
		}
		assertThat(duplicates).isEmpty();
		return byId;
	}
}
