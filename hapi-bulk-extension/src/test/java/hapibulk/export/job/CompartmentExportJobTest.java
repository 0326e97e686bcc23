package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.export.PatientCompartment;
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
import org.hl7.fhir.r4.model.Group;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.batch.core.StepExecution;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Patient and Group exports over all of the shared Synthea data (7,160 resources, every type): they
 * must hold exactly what HAPI's own compartment search finds for the exported patients, and their
 * cost must follow the compartments, not the server.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompartmentExportJobTest {

	static final Path files = tempDirectory();

	private static Path tempDirectory() {
		try {
			return Files.createTempDirectory("hapi-bulk-compartment-test");
		} catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", () -> files.toString());
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.export.include-referenced-resources", () -> "true");
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
	PatientCompartment compartment;
	@Autowired
	hapibulk.job.BulkBatchEngine engine;
	@Autowired
	DataSource dataSource;

	List<String> patientIds;

	@BeforeAll
	void loadData() {
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		for (String type : SyntheaData.DEPENDENCY_ORDER) {
			loader.load(SyntheaData.lines(type));
		}
		patientIds = SyntheaData.lines("Patient").stream().map(line -> JsonCompare.tree(line).get("id").asText()).toList();
		Group group = new Group();
		group.setId("grp-four");
		group.setType(Group.GroupType.PERSON).setActual(true);
		patientIds.subList(3, 7).forEach(id -> group.addMember().getEntity().setReference("Patient/" + id));
		daoRegistry.getResourceDao("Group").update(group, new SystemRequestDetails());
	}

	@Test
	void groupExport_withoutType_exportsExactlyTheMembersCompartments_asHapisCompartmentSearchFindsThem()
			throws IOException {
		// given
		List<String> members = patientIds.subList(3, 7);

		// when
		long start = System.nanoTime();
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.GROUP, "http://localhost/fhir/Group/grp-four/$export")
				.withGroupId("grp-four"));
		report("group of 4", job, start);

		// then
		Set<String> exported = readAll(job);
		Set<String> expected = new TreeSet<>(hapisCompartmentSearch(members));
		expected.addAll(referencedOutsideTheCompartment(expected));
		assertThat(expected).contains("Group/grp-four");
		assertThat(expected).anyMatch(key -> key.startsWith("Practitioner/"));
		assertThat(new TreeSet<>(exported)).isEqualTo(expected);
	}

	@Test
	void patientExport_ofEveryPatient_exportsEveryCompartmentResource_andWhatTheyReference() throws IOException {
		// when
		long start = System.nanoTime();
		BulkJob job = exportAndWait(ExportRequest.of(ExportLevel.PATIENT, "http://localhost/fhir/Patient/$export"));
		report("every patient", job, start);

		// then
		Set<String> exported = readAll(job);
		Set<String> expected = new TreeSet<>(hapisCompartmentSearch(patientIds));
		expected.addAll(referencedOutsideTheCompartment(expected));
		assertThat(new TreeSet<>(exported)).isEqualTo(expected);
	}

	/**
	 * What HAPI's own search returns for the patients' compartments: the patients, and for each
	 * compartment type, the union of its searches by each compartment search parameter.
	 */
	private Set<String> hapisCompartmentSearch(List<String> patients) {
		Set<String> keys = new HashSet<>();
		patients.forEach(id -> keys.add("Patient/" + id));
		for (String type : compartment.types()) {
			if (type.equals("Patient") || !daoRegistry.isResourceTypeSupported(type)) {
				continue;
			}
			for (RuntimeSearchParam param : fhirContext.getResourceDefinition(type).getSearchParams()) {
				if (param.getProvidesMembershipInCompartments() == null
						|| !param.getProvidesMembershipInCompartments().contains("Patient")) {
					continue;
				}
				ReferenceOrListParam anyPatient = new ReferenceOrListParam();
				patients.forEach(patient -> anyPatient.addOr(new ReferenceParam("Patient/" + patient)));
				SearchParameterMap map = SearchParameterMap.newSynchronous().add(param.getName(), anyPatient);
				for (var resource : daoRegistry.getResourceDao(type).search(map, new SystemRequestDetails())
						.getAllResources()) {
					keys.add(type + "/" + resource.getIdElement().getIdPart());
				}
			}
		}
		return keys;
	}

	/** The resources of types outside the compartment that the given resources reference (HAPI's reference index). */
	private Set<String> referencedOutsideTheCompartment(Set<String> sources) {
		Set<String> referenced = new HashSet<>();
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.query("SELECT s.RES_TYPE, s.FHIR_ID, t.RES_TYPE, t.FHIR_ID FROM HFJ_RES_LINK l"
				+ " JOIN HFJ_RESOURCE s ON s.RES_ID = l.SRC_RESOURCE_ID JOIN HFJ_RESOURCE t ON t.RES_ID = l.TARGET_RESOURCE_ID"
				+ " WHERE t.RES_DELETED_AT IS NULL", rs -> {
			String target = rs.getString(3) + "/" + rs.getString(4);
			if (!compartment.contains(rs.getString(3)) && sources.contains(rs.getString(1) + "/" + rs.getString(2))) {
				referenced.add(target);
			}
		});
		return referenced;
	}

	private void report(String what, BulkJob job, long start) {
		double seconds = (System.nanoTime() - start) / 1e9;
		var execution = engine.jobExplorer().getJobExecution(job.executionId());
		StringBuilder steps = new StringBuilder();
		for (StepExecution step : Objects.requireNonNull(execution).getStepExecutions()) {
			if (step.getStartTime() != null && step.getEndTime() != null) {
				steps.append(' ').append(step.getStepName()).append('=')
						.append(Duration.between(step.getStartTime(), step.getEndTime()).toMillis()).append("ms");
			}
		}
		System.out.printf("compartment export %s: %.2f s;%s%n", what, seconds, steps);
	}

	private BulkJob exportAndWait(ExportRequest request) {
		String id = exportJobService.submit(request, false).id();
		await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(50))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	/** Every exported resource as "Type/id"; fails on a duplicate. */
	private Set<String> readAll(BulkJob job) throws IOException {
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		List<String> keys = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			for (String line : Files.readAllLines(files.resolve(job.id()).resolve(file.file()))) {
				keys.add(file.type() + "/" + JsonCompare.tree(line).get("id").asText());
			}
		}
		assertThat(keys).doesNotHaveDuplicates();
		return new HashSet<>(keys);
	}
}
