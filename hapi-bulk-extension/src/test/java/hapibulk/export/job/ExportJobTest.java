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
import hapibulk.job.StoredManifestJson;
import hapibulk.job.recovery.InterruptedJobRestarter;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.JobParametersBuilder;
import java.time.LocalDateTime;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StatusOptions;
import hapibulk.status.ManifestJson;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
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
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.jdbc.core.ConnectionCallback;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;

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
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		// Exports are compared with the loaded data: no AuditEvents of the export jobs themselves.
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.export.max-resources-per-file", () -> "500");
		registry.add("hapi.bulk.export.page-size", () -> "200");
		// The compartment alone, as these tests expect (referenced resources default to on since issue 15).
		registry.add("hapi.bulk.export.include-referenced-resources", () -> "false");
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
	StoredResourceReader reader;
	@Autowired
	hapibulk.export.PatientCompartment compartment;
	@Autowired
	hapibulk.export.TypeFilters typeFilters;
	@Autowired
	hapibulk.job.BulkJobService jobService;
	@Autowired
	javax.sql.DataSource dataSource;
	org.springframework.jdbc.core.JdbcTemplate jdbc;
	@Autowired
	InterruptedJobRestarter restarter;
	@Autowired
	org.springframework.transaction.PlatformTransactionManager transactionManager;

	int syntheaCount;
	Instant beforeHandMade;

	@BeforeAll
	void loadData() throws InterruptedException {
		jdbc = new org.springframework.jdbc.core.JdbcTemplate(dataSource);
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

		org.hl7.fhir.r4.model.Group group = new org.hl7.fhir.r4.model.Group();
		group.setId("grp-two");
		group.setType(org.hl7.fhir.r4.model.Group.GroupType.PERSON).setActual(true);
		syntheaPatientIds().subList(0, 2).forEach(id -> group.addMember().getEntity().setReference("Patient/" + id));
		daoRegistry.getResourceDao("Group").update(group, request);

		// Provenance of a patient's Encounter belongs to that patient's export; of an Organization, to none.
		String practitioner = "Practitioner/" + JsonCompare.tree(SyntheaData.lines("Practitioner").get(0)).get("id").asText();
		provenance("prov-enc-old", "Encounter/" + encounterOf(syntheaPatientIds().get(7)), practitioner, request);
		provenance("prov-enc", "Encounter/" + encounterOf(syntheaPatientIds().get(7)), practitioner, request);
		provenance("prov-org", "Organization/" + JsonCompare.tree(SyntheaData.lines("Organization").get(0)).get("id").asText(),
				practitioner, request);

		Patient deleted = new Patient();
		deleted.setId("pat-deleted");
		daoRegistry.getResourceDao("Patient").update(deleted, request);
		daoRegistry.getResourceDao("Patient").delete(new IdType("Patient/pat-deleted"), request);
		for (int patient : new int[] {5, 6}) {
			org.hl7.fhir.r4.model.Encounter encounter = new org.hl7.fhir.r4.model.Encounter();
			encounter.setId("enc-deleted-" + patient);
			encounter.setStatus(org.hl7.fhir.r4.model.Encounter.EncounterStatus.FINISHED);
			encounter.getSubject().setReference("Patient/" + syntheaPatientIds().get(patient));
			daoRegistry.getResourceDao("Encounter").update(encounter, request);
			daoRegistry.getResourceDao("Encounter").delete(new IdType("Encounter/enc-deleted-" + patient), request);
		}
	}

	@Test
	void systemExport_writesEveryCurrentResourceOnce_asHapiReadsIt() throws IOException {
		// when
		BulkJob job = exportAndWait(ExportRequest.system(List.of(), null, "http://localhost/fhir/$export"));

		// then
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		Map<String, String> exported = readAll(job, manifest);
		assertThat(exported).hasSize(syntheaCount + 6);
		assertThat(exported).doesNotContainKey("Patient/pat-deleted");
		assertThat(exported.get("Patient/pat-updated")).contains("\"Second\"").contains("\"versionId\":\"2\"");
		assertThat(exported.get("Observation/obs-meta")).contains("70.50");
		assertThat(job.progressDone()).isEqualTo(job.progressTotal()).isEqualTo(syntheaCount + 6);

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
	void systemExport_splitsTypesIntoPartFiles_withCountsSizesAndChecksums() throws Exception {
		BulkJob job = exportAndWait(ExportRequest.system(List.of("DocumentReference", "Encounter"), null,
				"http://localhost/fhir/$export?_type=DocumentReference,Encounter"));

		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
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
		for (BulkManifest.ManifestFile file : manifest.output()) {
			byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
					.digest(Files.readAllBytes(files.resolve(job.id()).resolve(file.file())));
			assertThat(file.sha256()).isEqualTo(java.util.HexFormat.of().formatHex(digest));
		}
	}

	@Test
	void systemExport_since_exportsOnlyLaterResources() throws IOException {
		BulkJob job = exportAndWait(ExportRequest.system(List.of(), beforeHandMade, "http://localhost/fhir/$export"));

		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		Map<String, String> exported = readAll(job, manifest);
		assertThat(exported.keySet()).containsExactlyInAnyOrder("Observation/obs-meta", "Patient/pat-updated",
				"Group/grp-two", "Provenance/prov-enc-old", "Provenance/prov-enc", "Provenance/prov-org");
		assertThat(manifest.deleted()).singleElement().satisfies(file -> {
			assertThat(file.type()).isEqualTo("Bundle");
			assertThat(file.count()).isEqualTo(3);
			assertThat(Files.readAllLines(files.resolve(job.id()).resolve(file.file())).get(0)).isEqualTo(
					"{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":"
							+ "{\"method\":\"DELETE\",\"url\":\"Patient/pat-deleted\"}}]}");
		});
		assertThat(deletedUrls(job)).containsExactly("Patient/pat-deleted", "Encounter/enc-deleted-5",
				"Encounter/enc-deleted-6");
	}

	@Test
	void patientAndGroupExports_withSince_listTheDeletionsOfTheirCompartmentsOnly() throws IOException {
		String five = syntheaPatientIds().get(5);
		BulkJob onePatient = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withPatientIds(List.of(five))
				.withSince(beforeHandMade));
		assertThat(deletedUrls(onePatient)).containsExactly("Encounter/enc-deleted-5");

		BulkJob everyPatient = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withSince(beforeHandMade));
		assertThat(deletedUrls(everyPatient)).containsExactly("Patient/pat-deleted", "Encounter/enc-deleted-5",
				"Encounter/enc-deleted-6");

		BulkJob patientsOnly = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withTypes(List.of("Patient"))
				.withSince(beforeHandMade));
		assertThat(deletedUrls(patientsOnly)).containsExactly("Patient/pat-deleted");

		BulkJob group = exportAndWait(ExportRequest.of(ExportLevel.GROUP, "u").withGroupId("grp-two")
				.withSince(beforeHandMade));
		assertThat(deletedUrls(group)).as("deletions of patients outside the group").isEmpty();
	}

	private List<String> deletedUrls(BulkJob job) throws IOException {
		List<String> urls = new ArrayList<>();
		for (BulkManifest.ManifestFile file : StoredManifestJson.read(job.manifestJson()).deleted()) {
			for (String line : Files.readAllLines(files.resolve(job.id()).resolve(file.file()))) {
				urls.add(JsonCompare.tree(line).at("/entry/0/request/url").asText());
			}
		}
		return urls;
	}

	@Test
	void pageQuery_walksResourceKeysInOrder_insteadOfSortingTheType() {
		if (hapibulk.testsupport.TestDatabase.isPostgres()) {
			// PostgreSQL's choice follows its statistics: on this test's few rows it reads the type index and sorts
			// (cheapest for one row), at 200,000 resources it walks the keys (the benchmark prints that plan). What
			// the code controls is that the query CAN be answered by walking the keys: with sorting priced out
			// (enable_sort off, for this transaction only) a query that needs a sort still shows a Sort node.
			String plan = new org.springframework.transaction.support.TransactionTemplate(transactionManager).execute(
					status -> {
						new org.springframework.jdbc.core.JdbcTemplate(dataSource).execute("SET LOCAL enable_sort = off");
						return String.join("\n", reader.pagePlan("Encounter"));
					});
			System.out.println("page plan on PostgreSQL, sorting priced out:\n" + plan);
			assertThat(plan).doesNotContainPattern("(?m)^\\s*(->\\s+)?(Incremental )?Sort\\b")
					.containsPattern("Index (Only )?Scan using hfj_resource_pkey on hfj_resource r")
					.containsPattern("Index (Only )?Scan using \\S+ on hfj_res_ver v");
		} else {
			String plan = String.join("\n", reader.pagePlan("Encounter"));
			// H2 otherwise scans HFJ_RES_VER, or the type index by update time, and sorts for every page.
			assertThat(plan).contains("IDX_RES_RESID_UPDATED: RES_ID > ").contains("IDX_RESVER_ID_VER")
					.doesNotContain("HFJ_RES_VER.tableScan");
		}
	}

	@Test
	void systemExport_ofTypeWithoutResources_completesWithEmptyOutput() {
		BulkJob job = exportAndWait(ExportRequest.system(List.of("Medication"), null, "http://localhost/fhir/$export?_type=Medication"));

		assertThat(StoredManifestJson.read(job.manifestJson()).output()).isEmpty();
	}

	@Test
	void patientExport_exportsThePatientCompartmentOfEveryPatient() throws IOException {
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "http://localhost/fhir/Patient/$export"));

		Map<String, String> exported = readAll(job, StoredManifestJson.read(job.manifestJson()));
		// Organization, Location, Practitioner(Role) and the subject-less Observation are outside the compartment;
		// a Group is inside the compartments of its members; Provenance follows its target.
		assertThat(exported.keySet().stream().map(key -> key.split("/")[0]).distinct()).containsExactlyInAnyOrder(
				"Patient", "Device", "AllergyIntolerance", "Encounter", "DocumentReference", "Group", "Provenance");
		assertThat(exported).hasSize(compartmentLines(null).size() + 4).containsKey("Provenance/prov-enc");
	}

	@Test
	void patientExport_ofListedPatients_exportsOnlyTheirCompartments() throws IOException {
		String patientId = syntheaPatientIds().get(3);
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "http://localhost/fhir/Patient/" + patientId + "/$export")
				.withPatientIds(List.of(patientId)).withTypes(List.of("Patient", "Encounter", "DocumentReference")));

		Map<String, String> exported = readAll(job, StoredManifestJson.read(job.manifestJson()));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(compartmentKeys(patientId,
				List.of("Patient", "Encounter", "DocumentReference")));
	}

	@Test
	void groupExport_exportsTheCompartmentsOfItsMembers() throws IOException {
		List<String> members = syntheaPatientIds().subList(0, 2);
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.GROUP, "http://localhost/fhir/Group/grp-two/$export")
				.withGroupId("grp-two"));

		Map<String, String> exported = readAll(job, StoredManifestJson.read(job.manifestJson()));
		List<String> expected = new ArrayList<>(List.of("Group/grp-two"));
		members.forEach(member -> expected.addAll(compartmentKeys(member, SYNTHEA_TYPES)));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(expected);
	}

	@Test
	void organizeOutputByPatient_writesABlockPerPatient_headerPatientThenItsCompartment_acrossFiles() throws IOException {
		List<String> types = List.of("Patient", "Encounter", "DocumentReference");
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "http://localhost/fhir/Patient/$export")
				.withTypes(types).withOrganizeOutputBy("Patient"));

		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.outputOrganizedBy()).isEqualTo("Patient");
		assertThat(manifest.output()).allSatisfy(file -> assertThat(file.type()).isNull());
		// 2,443 lines at 500 per file: blocks are cut, and the manifest says where each continues.
		assertThat(manifest.output()).anySatisfy(file -> assertThat(file.continuesIn()).isNotNull());

		Map<String, List<String>> blocks = new HashMap<>();
		List<String> seen = new ArrayList<>();
		String continuingPatient = null;
		for (BulkManifest.ManifestFile file : manifest.output()) {
			List<String> lines = Files.readAllLines(files.resolve(job.id()).resolve(file.file()));
			assertThat(lines).hasSize((int) file.count());
			String patient = null;
			for (String line : lines) {
				var tree = JsonCompare.tree(line);
				if (tree.get("resourceType").asText().equals("Parameters")) {
					assertThat(tree.at("/parameter/0/name").asText()).isEqualTo("header");
					patient = tree.at("/parameter/0/valueReference/reference").asText().substring("Patient/".length());
					if (continuingPatient != null) {
						assertThat(patient).as("a continued block repeats its header first").isEqualTo(continuingPatient);
						continuingPatient = null;
					} else {
						assertThat(blocks).as("one block per patient").doesNotContainKey(patient);
						blocks.put(patient, new ArrayList<>());
					}
					continue;
				}
				assertThat(patient).as("every resource is in a block").isNotNull();
				String key = tree.get("resourceType").asText() + "/" + tree.get("id").asText();
				if (blocks.get(patient).isEmpty()) {
					assertThat(key).as("a block starts with its patient").isEqualTo("Patient/" + patient);
				}
				blocks.get(patient).add(key);
				seen.add(key);
			}
			continuingPatient = file.continuesIn() == null ? null : patient;
		}
		assertThat(seen).doesNotHaveDuplicates();
		// The Synthea patients and the hand-made one.
		assertThat(blocks.keySet()).containsAll(syntheaPatientIds()).hasSize(syntheaPatientIds().size() + 1);
		for (String patient : syntheaPatientIds()) {
			assertThat(blocks.get(patient)).as("block of " + patient)
					.containsExactlyInAnyOrderElementsOf(compartmentKeys(patient, types));
		}
	}

	@Test
	void organizeOutputByPatient_withSince_keepsOnlyNonEmptyBlocks() throws IOException {
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.SYSTEM, "http://localhost/fhir/$export")
				.withSince(beforeHandMade).withOrganizeOutputBy("Patient"));

		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		List<String> lines = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			lines.addAll(Files.readAllLines(files.resolve(job.id()).resolve(file.file())));
		}
		// Only resources changed after the Synthea load, in a patient's compartment, each under its header.
		List<String> headers = lines.stream().filter(line -> line.contains("\"Parameters\"")).toList();
		assertThat(headers).isNotEmpty();
		assertThat(lines.size()).isGreaterThan(headers.size());
		assertThat(lines.get(0)).contains("\"header\"");
		for (String line : lines) {
			var tree = JsonCompare.tree(line);
			if (!tree.get("resourceType").asText().equals("Parameters")) {
				assertThat(Instant.parse(tree.at("/meta/lastUpdated").asText())).isAfter(beforeHandMade);
			}
		}
	}

	@Test
	void allowPartialManifests_recordsEachFileAsItIsFinished_withTheFinalCountsAndChecksums() {
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.SYSTEM, "http://localhost/fhir/$export")
				.withTypes(List.of("Encounter", "Patient"))
				.withIgnoredParameters(List.of(hapibulk.export.IgnoredParameter.unsupported("_outputSplit")))
				.withAllowPartialManifests(true));

		BulkManifest stored = StoredManifestJson.read(job.manifestJson());
		assertThat(stored.output()).hasSizeGreaterThan(2); // 1,215 Encounters at 500 per file
		hapibulk.job.BulkJobFiles.Page page = jobService.manifestPage(job, 1).orElseThrow();
		assertThat(page.output()).containsExactlyInAnyOrderElementsOf(stored.output());
		assertThat(page.error()).containsExactlyElementsOf(stored.error()).hasSize(1);
		assertThat(page.hasNext()).isFalse();
	}

	@Test
	void patientExport_includesTheProvenanceOfThePatientsResources_only() throws IOException {
		String patientId = syntheaPatientIds().get(7);
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withPatientIds(List.of(patientId))
				.withTypes(List.of("Provenance")));
		assertThat(readAll(job, StoredManifestJson.read(job.manifestJson())).keySet())
				.containsExactlyInAnyOrder("Provenance/prov-enc", "Provenance/prov-enc-old");

		BulkJob other = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u")
				.withPatientIds(List.of(syntheaPatientIds().get(6))).withTypes(List.of("Provenance")));
		assertThat(StoredManifestJson.read(other.manifestJson()).output()).isEmpty();
	}

	@Test
	void includeAssociatedData_addsProvenance_latestOnlyWhenAskedFor() throws IOException {
		String patientId = syntheaPatientIds().get(7);
		BulkJob latest = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withPatientIds(List.of(patientId))
				.withTypes(List.of("Patient")).withAssociatedData(List.of(ExportRequest.LATEST_PROVENANCE)));
		assertThat(readAll(latest, StoredManifestJson.read(latest.manifestJson())).keySet())
				.containsExactlyInAnyOrder("Patient/" + patientId, "Provenance/prov-enc");

		BulkJob both = exportAndWait(ExportRequest.of(ExportLevel.SYSTEM, "u").withTypes(List.of("Organization"))
				.withAssociatedData(List.of(ExportRequest.LATEST_PROVENANCE, ExportRequest.RELEVANT_PROVENANCE)));
		// the least restrictive of the two applies: every Provenance
		assertThat(readAll(both, StoredManifestJson.read(both.manifestJson())).keySet().stream()
				.filter(key -> key.startsWith("Provenance/")))
				.containsExactlyInAnyOrder("Provenance/prov-enc", "Provenance/prov-enc-old", "Provenance/prov-org");
	}

	@Test
	void referencedResources_ofAPatientsData_comeFromHapisReferenceIndex() {
		String patientId = syntheaPatientIds().get(3);
		long patientPid = reader.findPid("Patient", patientId).orElseThrow();
		ExportFilter practitioners = new ExportFilter("Practitioner", false, List.of(), null, null, true,
				compartment.allPaths(), null, List.of(patientPid), List.of(), null, false, true);

		List<String> found = reader.readPage(practitioners, Long.MIN_VALUE, 10_000, Long.MAX_VALUE).resources().stream()
				.map(StoredResource::fhirId).toList();

		java.util.Set<String> expected = new java.util.TreeSet<>();
		java.util.regex.Pattern reference = java.util.regex.Pattern.compile("\"reference\":\"Practitioner([/?])([^\"]+)\"");
		// Computed once: per line it parsed every line again (92 s of the suite).
		java.util.Set<String> inCompartment = new java.util.HashSet<>(compartmentLines(patientId));
		for (String type : List.of("Patient", "Device", "AllergyIntolerance", "Encounter", "DocumentReference")) {
			for (String line : SyntheaData.lines(type)) {
				if (inCompartment.contains(type + "/" + JsonCompare.tree(line).get("id").asText())) {
					java.util.regex.Matcher matcher = reference.matcher(line);
					while (matcher.find()) {
						expected.add(matcher.group(1).equals("/") ? matcher.group(2)
								: practitionerWithIdentifier(matcher.group(2).substring(matcher.group(2).indexOf('|') + 1)));
					}
				}
			}
		}
		assertThat(expected).isNotEmpty();
		assertThat(found).containsExactlyInAnyOrderElementsOf(expected);
	}

	@Test
	void pages_holdEveryKeyOnceInOrder_withoutLazyQueryExecution() {
		// Encounters: over 1,200 of them, so several pages, and deleted ones among them to be left out.
		ExportFilter encounters = new ExportFilter("Encounter", false, List.of(), null, null, false, List.of(),
				null, List.of(), List.of(), null, false, false);
		List<Long> keys = jdbc.queryForList("SELECT RES_ID FROM HFJ_RESOURCE WHERE RES_TYPE = 'Encounter'"
				+ " AND RES_DELETED_AT IS NULL ORDER BY RES_ID", Long.class);
		boolean h2 = !hapibulk.testsupport.TestDatabase.isPostgres();

		List<Long> read = new ArrayList<>();
		List<Boolean> lazyAfterPages = new ArrayList<>();
		// One transaction: the reader and the checks share its connection, as a chunk's page reads do.
		new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
			long after = Long.MIN_VALUE;
			StoredResourceReader.Page page;
			do {
				page = reader.readPage(encounters, after, 300, Long.MAX_VALUE);
				page.resources().forEach(resource -> read.add(resource.pid()));
				after = page.lastKey();
				if (h2) {
					lazyAfterPages.add(jdbc.execute((ConnectionCallback<Boolean>) connection -> ((SessionLocal) connection
							.unwrap(JdbcConnection.class).getSession()).isLazyQueryExecution()));
				}
			} while (page.more());
		});

		assertThat(keys).hasSizeGreaterThan(3 * 300);
		assertThat(read).isEqualTo(keys);
		if (h2) {
			// H2's lazy query execution corrupts results now and then (H2 issue #4142): never on for a page read.
			assertThat(lazyAfterPages).hasSize((keys.size() + 299) / 300).containsOnly(false);
		}
	}

	@Test
	void pages_areBoundedByBytes_asWellAsRows() {
		ExportFilter documents = new ExportFilter("DocumentReference", false, List.of(), null, null, false, List.of(),
				null, List.of(), List.of(), null, false, false);
		long largest = SyntheaData.lines("DocumentReference").stream().mapToLong(String::length).max().orElseThrow();

		StoredResourceReader.Page oneByte = reader.readPage(documents, Long.MIN_VALUE, 1000, 1);
		StoredResourceReader.Page threeDocuments = reader.readPage(documents, Long.MIN_VALUE, 1000, 2 * largest + 1);

		assertThat(oneByte.resources()).hasSize(1);
		assertThat(oneByte.more()).isTrue();
		assertThat(threeDocuments.resources()).hasSizeBetween(3, 1000 - 1);
		assertThat(threeDocuments.more()).isTrue();
	}

	private static String practitionerWithIdentifier(String value) {
		return SyntheaData.lines("Practitioner").stream().map(JsonCompare::tree)
				.filter(practitioner -> practitioner.path("identifier").toString().contains("\"" + value + "\""))
				.findFirst().orElseThrow().get("id").asText();
	}

	@Test
	void groupExport_refusesUnknownGroups_unknownPatients_andNonMembers() {
		String outsider = syntheaPatientIds().get(5);
		assertThatThrownBy(() -> exportJobService.submit(ExportRequest.of(ExportLevel.GROUP, "u")
				.withGroupId("no-such-group"), false))
				.isInstanceOf(ResourceNotFoundException.class).hasMessageContaining("Group/no-such-group");
		assertThatThrownBy(() -> exportJobService.submit(ExportRequest.of(ExportLevel.GROUP, "u").withGroupId("grp-two")
				.withPatientIds(List.of(outsider)), false))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("Patient/" + outsider);
		assertThatThrownBy(() -> exportJobService.submit(ExportRequest.of(ExportLevel.PATIENT, "u")
				.withPatientIds(List.of("nobody")), false))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("Patient/nobody");
		assertThatThrownBy(() -> exportJobService.submit(ExportRequest.of(ExportLevel.PATIENT, "u")
				.withPatientIds(List.of("nobody")), true))
				.isInstanceOf(ResourceNotFoundException.class);
	}

	@Test
	void elements_keepListedAndMandatoryElements_andTagTheSubset() throws IOException {
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.SYSTEM, "u")
				.withTypes(List.of("Encounter", "Observation", "Patient"))
				.withElements(List.of("Observation.value", "gender", "Encounter.period")));

		Map<String, String> exported = readAll(job, StoredManifestJson.read(job.manifestJson()));
		assertThat(exported).hasSize(SyntheaData.lines("Encounter").size() + SyntheaData.lines("Patient").size() + 2);
		for (Map.Entry<String, String> entry : exported.entrySet()) {
			var resource = JsonCompare.tree(entry.getValue());
			List<String> names = new ArrayList<>();
			resource.fieldNames().forEachRemaining(names::add);
			switch (entry.getKey().split("/")[0]) {
				// status and class are 1..1 in Encounter: kept although not listed
				case "Encounter" -> assertThat(names).containsExactlyInAnyOrder("resourceType", "id", "meta", "status",
						"class", "period");
				// value[x] is kept as valueQuantity; status and code are 1..1
				case "Observation" -> assertThat(names).containsExactlyInAnyOrder("resourceType", "id", "meta", "status",
						"code", "valueQuantity");
				case "Patient" -> assertThat(names).isSubsetOf("resourceType", "id", "meta", "gender");
				default -> throw new AssertionError(entry.getKey());
			}
			assertThat(resource.at("/meta/tag").toString()).as(entry.getKey()).contains("\"code\":\"SUBSETTED\"");
		}
	}

	@Test
	void typeFilter_exportsWhatHapisSearchMatches_orEdPerType() throws IOException {
		String patientId = syntheaPatientIds().get(0);
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "u").withTypes(List.of("Encounter", "Patient"))
				.withTypeFilters(typeFilters.parse(List.of("Encounter?class=EMER,Encounter?class=IMP", "Patient?_id=" + patientId), List.of("Encounter", "Patient"))));

		Map<String, String> exported = readAll(job, StoredManifestJson.read(job.manifestJson()));
		List<String> expected = new ArrayList<>(List.of("Patient/" + patientId));
		for (String line : SyntheaData.lines("Encounter")) {
			var encounter = JsonCompare.tree(line);
			if (List.of("EMER", "IMP").contains(encounter.at("/class/code").asText())) {
				expected.add("Encounter/" + encounter.get("id").asText());
			}
		}
		assertThat(expected).hasSizeGreaterThan(2);
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(expected);
		assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM BULK_EXPORT_MATCH WHERE JOB_ID = ?", Integer.class,
				job.id())).isZero();
	}

	@Test
	void typeFilter_refusesResultParameters_unknownSearchParameters_andUnexportedTypes() {
		assertThatThrownBy(() -> typeFilters.parse(List.of("Encounter?_sort=date"), List.of()))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("_sort");
		assertThatThrownBy(() -> typeFilters.parse(List.of("Encounter?no-such-parameter=1"), List.of()))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("no-such-parameter");
		assertThatThrownBy(() -> typeFilters.parse(List.of("Encounter?class=EMER"), List.of("Patient")))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("_type");
		assertThatThrownBy(() -> typeFilters.parse(List.of("status=active"), List.of()))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("Type?parameters");
	}

	@Test
	void expiredJob_isNoLongerVisible_andTheSweepDeletesItsFiles() throws IOException {
		BulkJob job = exportAndWait(ExportRequest.system(List.of("Device"), null, "http://localhost/fhir/$export"));
		assertThat(jobService.findVisible(job.id())).isPresent();
		jdbc.update("UPDATE BULK_JOB SET EXPIRES_AT = ? WHERE JOB_ID = ?", Instant.now().minusSeconds(1).toEpochMilli(),
				job.id());

		assertThat(jobService.findVisible(job.id())).isEmpty();
		assertThat(jobService.deleteExpired()).isEqualTo(1);

		assertThat(table.find(job.id()).orElseThrow().state()).isEqualTo(BulkJobState.DELETED);
		assertThat(files.resolve(job.id())).doesNotExist();
	}

	@Test
	void exportLeftRunningByADeadProcess_isRestartedAtStartUp_andCompletes() {
		// given: the process died right after a kick-off; its execution is still STARTED
		String jobId = "0123456789abcdef0123456789abcdef";
		Instant now = Instant.now();
		ExportRequest request = ExportRequest.system(List.of("Patient"), null, "http://localhost/fhir/$export");
		table.insert(new BulkJob(jobId, BulkJobKind.EXPORT, BulkJobState.RUNNING, null, request.requestUrl(),
				request.toJson(), now, now, now.plusSeconds(60), null, 0, 0, null, null, StatusOptions.DEFAULT));
		JobExecution dead = createStartedExecution(new JobParametersBuilder()
				.addString(BulkJobKeys.BULK_JOB_ID, jobId)
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
		assertThat(StoredManifestJson.read(job.manifestJson()).output()).singleElement()
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
		String id = exportJobService.submit(request, false).id();
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	private void provenance(String id, String target, String agent, SystemRequestDetails request) {
		org.hl7.fhir.r4.model.Provenance provenance = new org.hl7.fhir.r4.model.Provenance();
		provenance.setId(id);
		provenance.addTarget().setReference(target);
		provenance.setRecorded(new java.util.Date());
		provenance.addAgent().getWho().setReference(agent);
		daoRegistry.getResourceDao("Provenance").update(provenance, request);
	}

	private static String encounterOf(String patientId) {
		return SyntheaData.lines("Encounter").stream().map(JsonCompare::tree)
				.filter(encounter -> encounter.at("/subject/reference").asText().equals("Patient/" + patientId))
				.findFirst().orElseThrow().get("id").asText();
	}

	private static List<String> syntheaPatientIds() {
		return SyntheaData.lines("Patient").stream().map(line -> JsonCompare.tree(line).get("id").asText()).toList();
	}

	/** Synthea lines of compartment types that reference the patient (any patient when null). */
	private static List<String> compartmentLines(String patientId) {
		List<String> lines = new ArrayList<>();
		for (String type : List.of("Patient", "Device", "AllergyIntolerance", "Encounter", "DocumentReference")) {
			for (String line : SyntheaData.lines(type)) {
				String id = JsonCompare.tree(line).get("id").asText();
				if (patientId == null || (type.equals("Patient") ? id.equals(patientId)
						: line.contains("\"reference\":\"Patient/" + patientId + "\""))) {
					lines.add(type + "/" + id);
				}
			}
		}
		return lines;
	}

	private static List<String> compartmentKeys(String patientId, List<String> types) {
		return compartmentLines(patientId).stream().filter(key -> types.contains(key.split("/")[0])).toList();
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
