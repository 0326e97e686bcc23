package hapibulk.imports.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import hapibulk.imports.ImportPermissions;
import hapibulk.imports.ImportSources;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobService;
import hapibulk.job.StoredManifestJson;
import hapibulk.support.TooManyRequestsException;
import hapibulk.testsupport.SourceServer;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.junit.jupiter.api.AfterAll;
import org.springframework.batch.core.Job;
import org.springframework.beans.factory.annotation.Qualifier;
import java.util.Set;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import hapibulk.config.BulkConfiguration;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.status.ManifestJson;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Organization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.net.URI;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The import job over a real HAPI JPA server and database (H2, or PostgreSQL with -Ppostgres),
 * reading {@code file:} inputs from the import directory.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImportJobTest {

	static final Path files = tempDirectory("hapi-bulk-import-files");
	static final Path inputs = tempDirectory("hapi-bulk-import-inputs");
	static final String SOURCE = "https://ehr.example.org/extract-7";
	static final SourceServer sourceServer = new SourceServer(
			"{\"resourceType\":\"Organization\",\"id\":\"from-http\"}\n");
	static final int MAX_ERROR_LINES = 20;
	static final String SPLIT_SIZE = "256KB";

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.import.directory", inputs::toString);
		registry.add("hapi.bulk.import.chunk-size", () -> "500");
		registry.add("hapi.bulk.import.parallel-writes", () -> "2");
		registry.add("hapi.bulk.import.max-line-length", () -> "64KB");
		registry.add("hapi.bulk.import.max-error-lines", () -> Integer.toString(MAX_ERROR_LINES));
		registry.add("hapi.bulk.import.max-input-size", () -> "8MB");
		registry.add("hapi.bulk.import.max-inputs", () -> "15");
		registry.add("hapi.bulk.import.read-timeout", () -> "5m");
		registry.add("hapi.bulk.import.allowed-sources", () -> sourceServer.url("/"));
		// Synthea's larger files (Condition, DocumentReference, MedicationRequest, Procedure) are read in parts
		registry.add("hapi.bulk.import.split-size", () -> SPLIT_SIZE);
	}

	@AfterAll
	void stopSourceServer() {
		sourceServer.close();
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	ImportJobService importJobService;
	@Autowired
	BulkJobTable table;
	@Autowired
	BulkJobService jobService;
	@Autowired
	BulkBatchEngine engine;
	@Autowired
	ImportSources sources;
	@Autowired
	@Qualifier(ImportJobConfig.JOB_BEAN)
	Job importJobDefinition;

	@Test
	void synthea_inReverseDependencyOrder_isStoredSearchableAndIdentical_andASecondRunChangesNothing()
			throws IOException {
		// given: every type's file, referrers first; one of them gzip-compressed
		List<ImportRequest.Input> reversed = new ArrayList<>();
		List<String> referrersFirst = new ArrayList<>(SyntheaData.DEPENDENCY_ORDER);
		java.util.Collections.reverse(referrersFirst);
		for (String type : referrersFirst) {
			Path source = SyntheaData.tenPatients().resolve(type + ".000.ndjson");
			if (type.equals("Encounter")) {
				Path gzip = inputs.resolve("synthea/" + type + ".ndjson.gz");
				Files.createDirectories(gzip.getParent());
				try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip))) {
					Files.copy(source, out);
				}
				reversed.add(new ImportRequest.Input(type, gzip.toUri().toString()));
			} else {
				reversed.add(new ImportRequest.Input(type, copy(source, "synthea/" + type + ".ndjson").toUri().toString()));
			}
		}
		Map<String, ObjectNode> expected = syntheaResources();

		// when
		long started = System.nanoTime();
		BulkJob job = importAndWait(new ImportRequest(SOURCE, "file", null, reversed, "http://localhost/fhir/$import"));
		double seconds = (System.nanoTime() - started) / 1e9;
		System.out.printf("[hapi-bulk-test] imported %d resources in %.1f s: %.0f resources/s%n", expected.size(),
				seconds, expected.size() / seconds);

		// then: the large plain files were read in parts by byte range, each a partition of its own
		long partitions = engine.jobExplorer().getJobExecution(job.executionId()).getStepExecutions().stream()
				.filter(step -> step.getStepName().contains(":input-")).count();
		long parts = reversed.stream().filter(input -> input.url().endsWith(".ndjson"))
				.mapToLong(input -> Math.max(1, (sizeOf(input.url()) + (256 << 10) - 1) / (256 << 10))).sum();
		assertThat(partitions).isEqualTo(parts + 1).isGreaterThan(reversed.size() + 20);

		// and the manifest counts every line of every input (the parts of an input added up), no errors
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.error()).isEmpty();
		assertThat(manifest.output()).hasSize(reversed.size());
		for (BulkManifest.ManifestFile output : manifest.output()) {
			assertThat(output.count()).as(output.inputUrl()).isEqualTo(SyntheaData.lines(output.type()).size());
			assertThat(output.inputUrl()).endsWith(output.type().equals("Encounter") ? ".ndjson.gz" : ".ndjson");
		}
		assertThat(manifest.output().stream().mapToLong(BulkManifest.ManifestFile::count).sum())
				.isEqualTo(expected.size());
		assertStoredAsInTheFiles(expected);

		// and searchable: a patient's encounters by reference
		String patient = expected.keySet().stream().filter(key -> key.startsWith("Patient/")).findFirst().orElseThrow();
		long encounters = expected.values().stream().filter(r -> r.get("resourceType").asText().equals("Encounter"))
				.filter(r -> r.at("/subject/reference").asText().equals(patient)).count();
		SearchParameterMap byPatient = SearchParameterMap.newSynchronous().add("subject", new ReferenceParam(patient));
		assertThat(daoRegistry.getResourceDao("Encounter").search(byPatient, new SystemRequestDetails()).size())
				.isEqualTo((int) encounters).isPositive();

		// when: the same import again
		BulkJob again = importAndWait(new ImportRequest(SOURCE, "file", null, reversed, "http://localhost/fhir/$import"));

		// then: the same data, not duplicates and not new versions
		assertThat(StoredManifestJson.read(again.manifestJson()).error()).isEmpty();
		assertStoredAsInTheFiles(expected);
		IBaseResource read = daoRegistry.getResourceDao("Patient").read(new IdType(patient), new SystemRequestDetails());
		assertThat(read.getMeta().getVersionId()).isEqualTo("1");
		// (other tests of this class store Patients of their own: count the Synthea ids, each once)
		assertThat(idsOf(daoRegistry.getResourceDao("Patient").search(SearchParameterMap.newSynchronous(),
				new SystemRequestDetails())).stream().filter(id -> expected.containsKey("Patient/" + id)).count())
				.isEqualTo(SyntheaData.lines("Patient").size());
	}

	@Test
	void aLargeInputReadInParts_storesEveryGoodLineOnce_andNamesEachBadLineByItsByteOffset() throws IOException {
		// given: 5,000 Organizations, lines of different lengths so that the cuts fall anywhere, every 197th broken
		StringBuilder text = new StringBuilder();
		Set<Long> badLineStarts = new HashSet<>();
		Set<String> goodIds = new HashSet<>();
		for (int i = 0; i < 5000; i++) {
			long start = text.toString().getBytes(StandardCharsets.UTF_8).length;
			String id = "part-org-" + i;
			if (i % 197 == 5) {
				badLineStarts.add(start);
				text.append("{\"resourceType\":\"Organization\",\"id\":\"").append(id).append("\",\"name\":\n");
			} else {
				goodIds.add(id);
				text.append("{\"resourceType\":\"Organization\",\"id\":\"").append(id).append("\",\"name\":\"")
						.append("é".repeat(i % 37)).append("x".repeat(i % 101)).append("\"}\n");
			}
		}
		Path file = inputs.resolve("parts/organizations.ndjson");
		Files.createDirectories(file.getParent());
		Files.writeString(file, text);
		assertThat(Files.size(file)).isGreaterThan(2L * (256 << 10));
		String url = file.toUri().toString();

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", url)), "http://localhost/fhir/$import"));

		// then: one output entry for the input, every good line stored once
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> {
			assertThat(output.count()).isEqualTo(goodIds.size());
			assertThat(output.inputUrl()).isEqualTo(url);
		});
		SearchParameterMap all = SearchParameterMap.newSynchronous();
		all.add("_id", new ca.uhn.fhir.rest.param.TokenOrListParam(null,
				goodIds.stream().limit(500).toArray(String[]::new)));
		assertThat(daoRegistry.getResourceDao("Organization").search(all, new SystemRequestDetails()).size())
				.isEqualTo(500);
		// and each bad line reported once, in the error file of its part, by the byte where it starts
		assertThat(manifest.error()).hasSizeGreaterThan(1)
				.allSatisfy(error -> assertThat(error.inputUrl()).isEqualTo(url));
		List<Long> reported = new ArrayList<>();
		for (BulkManifest.ManifestFile errorFile : manifest.error()) {
			for (String line : Files.readAllLines(files.resolve(job.id()).resolve(errorFile.file()))) {
				JsonNode outcome = JsonCompare.tree(line);
				long offset = extension(outcome, ImportErrorLines.BYTE_OFFSET).get("valueDecimal").asLong();
				reported.add(offset);
				assertThat(outcome.at("/issue/0/diagnostics").asText()).startsWith("BULK-0240")
						.contains("The line at byte " + offset + " of " + url);
			}
		}
		assertThat(reported).containsExactlyInAnyOrderElementsOf(badLineStarts);
	}

	@Test
	void badLines_areReportedWithTheirLineNumbers_andTheGoodOnesStored() throws IOException {
		// given
		String longName = "x".repeat(70 * 1024);
		List<String> lines = List.of(
				"{\"resourceType\":\"Organization\",\"id\":\"bad-org-1\",\"name\":\"Kept one\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"bad-org-2\",\"name\":",
				"{\"resourceType\":\"Patient\",\"id\":\"bad-pat-1\"}",
				"",
				"{\"resourceType\":\"Organization\",\"name\":\"no id\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"bad-org-3\",\"name\":\"" + longName + "\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"bad-org-4\",\"partOf\":{\"reference\":\"Organization/missing\"}}",
				"{\"resourceType\":\"Organization\",\"id\":\"bad-org-5\",\"name\":\"Kept two\"}");
		Path file = inputs.resolve("bad/organizations.ndjson");
		Files.createDirectories(file.getParent());
		Files.writeString(file, String.join("\r\n", lines) + "\n");
		String url = file.toUri().toString();

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", url)), "http://localhost/fhir/$import"));

		// then
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> {
			assertThat(output.count()).isEqualTo(2);
			assertThat(output.inputUrl()).isEqualTo(url);
		});
		BulkManifest.ManifestFile errorFile = manifest.error().get(0);
		assertThat(manifest.error()).hasSize(1);
		assertThat(errorFile.type()).isEqualTo("OperationOutcome");
		assertThat(errorFile.inputUrl()).isEqualTo(url);
		assertThat(errorFile.count()).isEqualTo(5);
		List<JsonNode> outcomes = Files.readAllLines(files.resolve(job.id()).resolve(errorFile.file())).stream()
				.map(line -> (JsonNode) JsonCompare.tree(line)).toList();
		Map<Long, String> diagnosticsByLine = new HashMap<>();
		for (JsonNode outcome : outcomes) {
			assertThat(outcome.get("resourceType").asText()).isEqualTo("OperationOutcome");
			assertThat(extension(outcome, ImportErrorLines.INPUT_URL).get("valueUri").asText()).isEqualTo(url);
			diagnosticsByLine.put(extension(outcome, ImportErrorLines.LINE_NUMBER).get("valueInteger").asLong(),
					outcome.at("/issue/0/diagnostics").asText());
		}
		assertThat(diagnosticsByLine.keySet()).containsExactlyInAnyOrder(2L, 3L, 5L, 6L, 7L);
		assertThat(diagnosticsByLine.get(2L)).startsWith("BULK-0240");
		assertThat(diagnosticsByLine.get(3L)).startsWith("BULK-0241").contains("Patient/bad-pat-1");
		assertThat(diagnosticsByLine.get(5L)).startsWith("BULK-0242");
		assertThat(diagnosticsByLine.get(6L)).startsWith("BULK-0243");
		assertThat(diagnosticsByLine.get(7L)).startsWith("BULK-0244").contains("Organization/bad-org-4")
				.contains("Organization/missing");
		SystemRequestDetails request = new SystemRequestDetails();
		assertThat(daoRegistry.getResourceDao("Organization").read(new IdType("Organization/bad-org-5"), request))
				.isNotNull();
		assertThat(outcomes).hasSize(5);
	}

	@Test
	void aRefusedResourceInAChunkWrittenInSlices_isTheOnlyErrorLine_andTheOthersAreStoredOnce() throws IOException {
		// given: one chunk of 400 lines, written as two slices of 200; line 301 (second slice) refers to nothing
		List<String> lines = new ArrayList<>();
		for (int i = 1; i <= 400; i++) {
			String partOf = i == 301 ? ",\"partOf\":{\"reference\":\"Organization/nowhere\"}" : "";
			lines.add("{\"resourceType\":\"Organization\",\"id\":\"sliced-" + i + "\",\"name\":\"Org " + i + "\""
					+ partOf + "}");
		}
		Path file = inputs.resolve("sliced/organizations.ndjson");
		Files.createDirectories(file.getParent());
		Files.writeString(file, String.join("\n", lines) + "\n");

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", file.toUri().toString())), "http://localhost/fhir/$import"));

		// then: the first slice was stored, then stored again line by line: still version 1, counted once
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(399));
		assertThat(manifest.error()).singleElement().satisfies(error -> assertThat(error.count()).isEqualTo(1));
		String errorLine = Files.readString(files.resolve(job.id()).resolve(manifest.error().get(0).file()));
		assertThat(extension(JsonCompare.tree(errorLine), ImportErrorLines.LINE_NUMBER).get("valueInteger").asLong())
				.isEqualTo(301);
		SystemRequestDetails request = new SystemRequestDetails();
		for (int i = 1; i <= 400; i++) {
			IdType id = new IdType("Organization/sliced-" + i);
			if (i == 301) {
				assertThat(daoRegistry.getResourceDao("Organization").search(SearchParameterMap.newSynchronous()
						.add("_id", new TokenParam(id.getIdPart())), request).size()).isZero();
			} else {
				IBaseResource read = daoRegistry.getResourceDao("Organization").read(id, request);
				assertThat(read.getMeta().getVersionId()).as(id.getValue()).isEqualTo("1");
			}
		}
	}

	@Test
	void withACreateOnlyGrant_aRefusedResourceInASlice_isStillTheOnlyErrorLine() throws IOException {
		// given: as above, two slices of 200, line 301 refers to nothing; the token may only create
		List<String> lines = new ArrayList<>();
		for (int i = 1; i <= 400; i++) {
			String partOf = i == 301 ? ",\"partOf\":{\"reference\":\"Organization/nowhere\"}" : "";
			lines.add("{\"resourceType\":\"Organization\",\"id\":\"sliced-co-" + i + "\"" + partOf + "}");
		}
		Path file = write("sliced/create-only.ndjson", lines.toArray(String[]::new));

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", file.toUri().toString())), "http://localhost/fhir/$import",
				new ImportPermissions(Set.of("Organization"), Set.of())));

		// then: the first slice, committed before the second failed, is counted, not refused as a change
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(399));
		assertThat(errorLinesByNumber(job)).containsOnlyKeys(301L);
	}

	@Test
	void anImportOverStoredAndDeletedResources_updatesThem_linksStoredTargets_andRefusesDeletedTargets()
			throws IOException {
		// given: stored before the import: one organization to change, one deleted, one to point at, one
		// deleted target
		SystemRequestDetails request = new SystemRequestDetails();
		IFhirResourceDao<Organization> organizations = daoRegistry.getResourceDao(Organization.class);
		for (String id : List.of("stored-changed", "stored-deleted", "stored-target", "deleted-target")) {
			Organization organization = new Organization().setName("Before " + id);
			organization.setId(id);
			organizations.update(organization, request);
		}
		organizations.delete(new IdType("Organization/stored-deleted"), request);
		organizations.delete(new IdType("Organization/deleted-target"), request);
		List<String> lines = List.of(
				"{\"resourceType\":\"Organization\",\"id\":\"stored-changed\",\"name\":\"After\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"stored-deleted\",\"name\":\"Back\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"new-child\",\"name\":\"Child\","
						+ "\"partOf\":{\"reference\":\"Organization/stored-target\"}}",
				"{\"resourceType\":\"Organization\",\"id\":\"new-sibling\",\"name\":\"Sibling\","
						+ "\"partOf\":{\"reference\":\"Organization/new-child\"}}");
		Path organizationFile = inputs.resolve("stored/organizations.ndjson");
		Files.createDirectories(organizationFile.getParent());
		Files.writeString(organizationFile, String.join("\n", lines) + "\n");
		// in an input of its own, so that the others are written together, as one transaction
		Path orphanFile = inputs.resolve("stored/orphans.ndjson");
		Files.writeString(orphanFile, "{\"resourceType\":\"Organization\",\"id\":\"orphan\","
				+ "\"partOf\":{\"reference\":\"Organization/deleted-target\"}}\n");
		Path endpointFile = inputs.resolve("stored/endpoints.ndjson");
		Files.writeString(endpointFile, "{\"resourceType\":\"Endpoint\",\"id\":\"stored-endpoint\","
				+ "\"managingOrganization\":{\"reference\":\"Organization/new-sibling\"}}\n");

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null, List.of(
				new ImportRequest.Input("Endpoint", endpointFile.toUri().toString()),
				new ImportRequest.Input("Organization", organizationFile.toUri().toString()),
				new ImportRequest.Input("Organization", orphanFile.toUri().toString())),
				"http://localhost/fhir/$import"));

		// then: updates are new versions, the deleted one is back, and only the orphan was refused
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output().stream().mapToLong(BulkManifest.ManifestFile::count).sum()).isEqualTo(5);
		assertThat(organizations.search(SearchParameterMap.newSynchronous().add("_id", new TokenParam("orphan")),
				request).size()).isZero();
		assertThat(manifest.error()).singleElement().satisfies(error -> assertThat(error.count()).isEqualTo(1));
		String errorLine = Files.readString(files.resolve(job.id()).resolve(manifest.error().get(0).file()));
		assertThat(errorLine).contains("Organization/orphan").contains("deleted-target");
		var changed = organizations.read(new IdType("Organization/stored-changed"), request);
		assertThat(changed.getName()).isEqualTo("After");
		assertThat(changed.getMeta().getVersionId()).isEqualTo("2");
		var back = organizations.read(new IdType("Organization/stored-deleted"), request);
		assertThat(back.getName()).isEqualTo("Back");
		assertThat(back.getMeta().getVersionId()).isEqualTo("3");
		// and the references are indexed to the stored and to the newly imported targets
		assertThat(idsOf(organizations.search(SearchParameterMap.newSynchronous()
				.add("partof", new ReferenceParam("Organization/stored-target")), request)))
				.containsExactly("new-child");
		assertThat(idsOf(organizations.search(SearchParameterMap.newSynchronous()
				.add("partof", new ReferenceParam("Organization/new-child")), request)))
				.containsExactly("new-sibling");
		assertThat(idsOf(daoRegistry.getResourceDao("Endpoint").search(SearchParameterMap.newSynchronous()
				.add("organization", new ReferenceParam("Organization/new-sibling")), request)))
				.containsExactly("stored-endpoint");
	}

	@Test
	void aCreateOnlyGrant_storesNewPatients_butNeitherChangesNorRevivesStoredOnes_andReportsThoseLines()
			throws IOException {
		// given: a stored Patient and a deleted one
		SystemRequestDetails request = new SystemRequestDetails();
		IFhirResourceDao<Patient> patients = daoRegistry.getResourceDao(Patient.class);
		for (String id : List.of("co-stored", "co-deleted")) {
			Patient patient = new Patient();
			patient.setId(id);
			patient.addName().setFamily("Before");
			patients.update(patient, request);
		}
		patients.delete(new IdType("Patient/co-deleted"), request);
		Path file = write("rights/patients.ndjson",
				patient("co-new-1", "New"),
				patient("co-stored", "After"),
				patient("co-deleted", "Back"),
				patient("co-new-2", "New"),
				patient("co-new-1", "Twice"));
		ImportRequest createOnly = new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Patient", file.toUri().toString())), "http://localhost/fhir/$import",
				new ImportPermissions(Set.of("Patient"), Set.of()));

		// when
		BulkJob job = importAndWait(createOnly);

		// then: the new ones are stored once, the others are error lines and changed nothing
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(2));
		Map<Long, String> errors = errorLinesByNumber(job);
		assertThat(errors.keySet()).containsExactlyInAnyOrder(2L, 3L, 5L);
		assertThat(errors.values()).allSatisfy(diagnostics -> assertThat(diagnostics).startsWith("BULK-0225"));
		assertThat(errors.get(2L)).contains("Patient/co-stored");
		Patient stored = patients.read(new IdType("Patient/co-stored"), request);
		assertThat(stored.getNameFirstRep().getFamily()).isEqualTo("Before");
		assertThat(stored.getMeta().getVersionId()).isEqualTo("1");
		assertThatThrownBy(() -> patients.read(new IdType("Patient/co-deleted"), request))
				.isInstanceOf(ResourceGoneException.class);
		Patient created = patients.read(new IdType("Patient/co-new-1"), request);
		assertThat(created.getNameFirstRep().getFamily()).isEqualTo("New");
		assertThat(created.getMeta().getVersionId()).isEqualTo("1");

		// when: the same file with create and update rights
		BulkJob again = importAndWait(createOnly.withPermissions(
				new ImportPermissions(Set.of("Patient"), Set.of("Patient"))));

		// then: every line is stored
		BulkManifest all = StoredManifestJson.read(again.manifestJson());
		assertThat(all.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(5));
		assertThat(all.error()).isEmpty();
		assertThat(patients.read(new IdType("Patient/co-stored"), request).getNameFirstRep().getFamily())
				.isEqualTo("After");
		assertThat(patients.read(new IdType("Patient/co-deleted"), request).getNameFirstRep().getFamily())
				.isEqualTo("Back");
		assertThat(patients.read(new IdType("Patient/co-new-1"), request).getNameFirstRep().getFamily())
				.isEqualTo("Twice");
	}

	@Test
	void anUpdateOnlyGrant_changesStoredPatients_andReportsTheNewOnes() throws IOException {
		// given
		SystemRequestDetails request = new SystemRequestDetails();
		IFhirResourceDao<Patient> patients = daoRegistry.getResourceDao(Patient.class);
		Patient before = new Patient();
		before.setId("uo-stored");
		before.addName().setFamily("Before");
		patients.update(before, request);
		Path file = write("rights/update-only.ndjson", patient("uo-new", "New"), patient("uo-stored", "After"));

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Patient", file.toUri().toString())), "http://localhost/fhir/$import",
				new ImportPermissions(Set.of(), Set.of("Patient"))));

		// then
		assertThat(StoredManifestJson.read(job.manifestJson()).output()).singleElement()
				.satisfies(output -> assertThat(output.count()).isEqualTo(1));
		assertThat(errorLinesByNumber(job)).containsOnlyKeys(1L).hasEntrySatisfying(1L,
				diagnostics -> assertThat(diagnostics).startsWith("BULK-0226").contains("Patient/uo-new"));
		assertThat(patients.read(new IdType("Patient/uo-stored"), request).getNameFirstRep().getFamily())
				.isEqualTo("After");
		assertThat(patients.search(SearchParameterMap.newSynchronous().add("_id", new TokenParam("uo-new")), request)
				.size()).isZero();
	}

	@Test
	void matchUrlsSearchingTypesTheTokenMayNotRead_areErrorLines_andTheOthersAreResolved() throws IOException {
		// given: a stored Patient and Practitioner; a token that may create Observations and read Practitioners only
		SystemRequestDetails request = new SystemRequestDetails();
		Patient patient = new Patient();
		patient.setId("mu-patient");
		patient.addName().setFamily("Matchurl");
		daoRegistry.getResourceDao(Patient.class).update(patient, request);
		Practitioner practitioner = new Practitioner();
		practitioner.setId("mu-practitioner");
		practitioner.addIdentifier().setSystem("http://example.org/npi").setValue("mu-1");
		daoRegistry.getResourceDao(Practitioner.class).update(practitioner, request);
		Path file = write("rights/match-urls.ndjson",
				observation("mu-1", "Patient?family=Matchurl", null),
				observation("mu-2", "Patient?family=Nobody", null),
				observation("mu-3", null, "Practitioner?identifier=http://example.org/npi|mu-1"),
				observation("mu-4", null, "Practitioner?_has:PractitionerRole:practitioner:active=true"));

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Observation", file.toUri().toString())), "http://localhost/fhir/$import",
				new ImportPermissions(Set.of("Observation"), Set.of(), Set.of("Observation", "Practitioner"))));

		// then: one error line each, the same whether a Patient matches or not; the readable one is resolved
		assertThat(StoredManifestJson.read(job.manifestJson()).output()).singleElement()
				.satisfies(output -> assertThat(output.count()).isEqualTo(1));
		Map<Long, String> errors = errorLinesByNumber(job);
		assertThat(errors.keySet()).containsExactlyInAnyOrder(1L, 2L, 4L);
		assertThat(errors.values()).allSatisfy(diagnostics -> assertThat(diagnostics).startsWith("BULK-0345"));
		assertThat(errors.get(1L)).contains("Observation/mu-1").contains("search Patient");
		assertThat(errors.get(2L)).contains("search Patient");
		assertThat(errors.get(4L)).contains("PractitionerRole");
		IFhirResourceDao<Observation> observations = daoRegistry.getResourceDao(Observation.class);
		assertThat(observations.read(new IdType("Observation/mu-3"), request).getPerformerFirstRep().getReference())
				.isEqualTo("Practitioner/mu-practitioner");
		assertThat(observations.search(SearchParameterMap.newSynchronous().add("_id", new TokenParam("mu-1")), request)
				.size()).isZero();
	}

	@Test
	void aSmallGzipOfAMillionBadLines_stopsAfterMaxErrorLines_withOneFinalLineSayingSo() throws IOException {
		// given: 1,000,000 malformed lines, a few KB compressed
		Path bomb = inputs.resolve("limits/bad-lines.ndjson.gz");
		Files.createDirectories(bomb.getParent());
		byte[] lines = "not json\n".repeat(10_000).getBytes(StandardCharsets.UTF_8);
		try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
			for (int i = 0; i < 100; i++) {
				out.write(lines);
			}
		}
		assertThat(Files.size(bomb)).isLessThan(100_000);

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", bomb.toUri().toString())), "http://localhost/fhir/$import"));

		// then: MAX_ERROR_LINES error lines, then the one that says the input was stopped there
		BulkManifest.ManifestFile errorFile = StoredManifestJson.read(job.manifestJson()).error().get(0);
		assertThat(errorFile.count()).isEqualTo(MAX_ERROR_LINES + 1);
		Path written = files.resolve(job.id()).resolve(errorFile.file());
		assertThat(Files.size(written)).isLessThan(100_000);
		List<String> errorLines = Files.readAllLines(written);
		assertThat(errorLines).hasSize(MAX_ERROR_LINES + 1);
		JsonNode last = JsonCompare.tree(errorLines.get(MAX_ERROR_LINES));
		assertThat(last.at("/issue/0/diagnostics").asText()).startsWith("BULK-0227").contains("max-error-lines");
		assertThat(extension(last, ImportErrorLines.LINE_NUMBER).get("valueInteger").asLong()).isEqualTo(MAX_ERROR_LINES);
	}

	@Test
	void aDecompressionBomb_isStoppedAtMaxInputSize_afterItsGoodLinesWereStored() throws IOException {
		// given: three resources, then 64 MB of line breaks (8 MB allowed), about 64 KB compressed
		Path bomb = inputs.resolve("limits/bomb.ndjson.gz");
		Files.createDirectories(bomb.getParent());
		byte[] newlines = new byte[1 << 20];
		java.util.Arrays.fill(newlines, (byte) '\n');
		try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb))) {
			for (int i = 1; i <= 3; i++) {
				out.write(("{\"resourceType\":\"Organization\",\"id\":\"bomb-" + i + "\"}\n")
						.getBytes(StandardCharsets.UTF_8));
			}
			for (int i = 0; i < 64; i++) {
				out.write(newlines);
			}
		}

		// when
		BulkJob job = importAndWait(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", bomb.toUri().toString())), "http://localhost/fhir/$import"));

		// then
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(3));
		Map<Long, String> errors = errorLinesByNumber(job);
		assertThat(errors).hasSize(1);
		assertThat(errors.values().iterator().next()).startsWith("BULK-0228").contains("max-input-size");
		assertThat(daoRegistry.getResourceDao("Organization").read(new IdType("Organization/bomb-3"),
				new SystemRequestDetails())).isNotNull();
	}

	@Test
	void cancel_freesAWorkerWaitingOnASourceThatStoppedSending() {
		// given: an import reading a source that sent one line and then nothing (read timeout: 5 minutes)
		String url = sourceServer.url("/stall/organizations.ndjson");
		BulkJob job = importJobService.submit(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", url)), "http://localhost/fhir/$import"), null);
		await().atMost(Duration.ofMinutes(1)).until(() -> sourceServer.requests().stream()
				.filter(r -> r.path().startsWith("/stall/")).count() >= 2);
		Long execution = await().atMost(Duration.ofSeconds(30)).until(() -> table.find(job.id()).orElseThrow()
				.executionId(), java.util.Objects::nonNull);
		await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
				.until(() -> engine.jobExplorer().getJobExecution(execution).isRunning());

		// when
		long cancelled = System.nanoTime();
		jobService.cancel(table.find(job.id()).orElseThrow());

		// then: the worker is free within seconds, not after the read timeout
		await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
				.until(() -> !engine.jobExplorer().getJobExecution(execution).isRunning());
		System.out.printf("[hapi-bulk-test] a cancelled import blocked on a source ended in %d ms%n",
				(System.nanoTime() - cancelled) / 1_000_000);
	}

	@Test
	void tooManyInputs_orNoRoomForAnotherImport_isRefusedBeforeAnyInputIsFetched() {
		// given: sixteen inputs (fifteen allowed), and a server already running its maximum of imports (0 here)
		List<ImportRequest.Input> sixteen = java.util.stream.IntStream.range(0, 16)
				.mapToObj(i -> new ImportRequest.Input("Organization", sourceServer.url("/counted/" + i + ".ndjson")))
				.toList();
		ImportJobService full = new ImportJobService(jobService, table, sources, importJobDefinition, 0,
				Duration.ofSeconds(1), java.time.Clock.systemUTC());

		// when / then
		assertThatThrownBy(() -> importJobService.submit(new ImportRequest(null, null, null, sixteen,
				"http://localhost/fhir/$import"), null))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("BULK-0229");
		assertThatThrownBy(() -> full.submit(new ImportRequest(null, null, null, sixteen.subList(0, 5),
				"http://localhost/fhir/$import"), null))
				.isInstanceOf(TooManyRequestsException.class);
		assertThat(sourceServer.requests()).noneMatch(r -> r.path().startsWith("/counted/"));
	}

	private static String observation(String id, String subject, String performer) {
		return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\",\"code\":{\"text\":\"x\"}"
				+ (subject == null ? "" : ",\"subject\":{\"reference\":\"" + subject + "\"}")
				+ (performer == null ? "" : ",\"performer\":[{\"reference\":\"" + performer + "\"}]") + "}";
	}

	private static String patient(String id, String family) {
		return "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"" + family + "\"}]}";
	}

	private static Path write(String name, String... lines) throws IOException {
		Path file = inputs.resolve(name);
		Files.createDirectories(file.getParent());
		return Files.writeString(file, String.join("\n", lines) + "\n");
	}

	/** The diagnostics of the job's error lines, by line number. */
	private Map<Long, String> errorLinesByNumber(BulkJob job) throws IOException {
		Map<Long, String> byLine = new HashMap<>();
		for (BulkManifest.ManifestFile errorFile : StoredManifestJson.read(job.manifestJson()).error()) {
			for (String line : Files.readAllLines(files.resolve(job.id()).resolve(errorFile.file()))) {
				JsonNode outcome = JsonCompare.tree(line);
				byLine.put(extension(outcome, ImportErrorLines.LINE_NUMBER).get("valueInteger").asLong(),
						outcome.at("/issue/0/diagnostics").asText());
			}
		}
		return byLine;
	}

	private static List<String> idsOf(IBundleProvider found) {
		return found.getAllResources().stream().map(resource -> resource.getIdElement().getIdPart()).toList();
	}

	private void assertStoredAsInTheFiles(Map<String, ObjectNode> expected) {
		Map<String, String> targets = matchUrlTargets(expected);
		var parser = fhirContext.newJsonParser();
		SystemRequestDetails request = new SystemRequestDetails();
		for (Map.Entry<String, ObjectNode> entry : expected.entrySet()) {
			IBaseResource read = daoRegistry.getResourceDao(entry.getKey().split("/")[0])
					.read(new IdType(entry.getKey()), request);
			ObjectNode actual = JsonCompare.normalized(parser.encodeResourceToString(read));
			assertThat(actual.at("/meta/source").asText()).as(entry.getKey()).isEqualTo(SOURCE);
			ObjectNode want = entry.getValue().deepCopy();
			resolveMatchUrls(want, targets);
			assertThat(withoutServerMeta(actual)).as(entry.getKey()).isEqualTo(withoutServerMeta(want));
		}
	}

	/** The resource without what the server assigns: meta.versionId, lastUpdated and source. */
	static ObjectNode withoutServerMeta(ObjectNode resource) {
		ObjectNode copy = JsonCompare.normalized(resource.toString());
		if (copy.get("meta") instanceof ObjectNode meta) {
			meta.remove(List.of("versionId", "lastUpdated", "source"));
			if (meta.isEmpty()) {
				copy.remove("meta");
			}
		}
		return copy;
	}

	private static Map<String, ObjectNode> syntheaResources() {
		Map<String, ObjectNode> resources = new HashMap<>();
		for (String type : SyntheaData.DEPENDENCY_ORDER) {
			SyntheaData.lines(type).forEach(line -> {
				ObjectNode tree = JsonCompare.tree(line);
				resources.put(type + "/" + tree.get("id").asText(), tree);
			});
		}
		return resources;
	}

	private static Map<String, String> matchUrlTargets(Map<String, ObjectNode> resources) {
		Map<String, String> targets = new HashMap<>();
		resources.forEach((key, resource) -> resource.path("identifier").forEach(identifier -> targets.put(
				key.split("/")[0] + "?identifier=" + identifier.path("system").asText() + "|"
						+ identifier.path("value").asText(), key)));
		return targets;
	}

	private static void resolveMatchUrls(JsonNode node, Map<String, String> targets) {
		if (node instanceof ObjectNode object) {
			if (object.get("reference") instanceof TextNode reference && reference.asText().contains("?")) {
				assertThat(targets).as("target of " + reference.asText()).containsKey(reference.asText());
				object.put("reference", targets.get(reference.asText()));
			}
			object.forEach(child -> resolveMatchUrls(child, targets));
		} else if (node instanceof ArrayNode array) {
			array.forEach(child -> resolveMatchUrls(child, targets));
		}
	}

	private static JsonNode extension(JsonNode outcome, String url) {
		for (JsonNode extension : outcome.path("extension")) {
			if (extension.path("url").asText().equals(url)) {
				return extension;
			}
		}
		throw new AssertionError("No extension " + url + " in " + outcome);
	}

	private BulkJob importAndWait(ImportRequest request) {
		String id = importJobService.submit(request, null).id();
		await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	private static Path copy(Path source, String name) throws IOException {
		Path target = inputs.resolve(name);
		Files.createDirectories(target.getParent());
		return Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static long sizeOf(String fileUrl) {
		try {
			return Files.size(Path.of(URI.create(fileUrl)));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
