package hapibulk.tenant;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.entity.PartitionEntity;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IPartitionLookupSvc;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.interceptor.partition.RequestTenantPartitionInterceptor;
import ca.uhn.fhir.rest.server.tenant.UrlBaseTenantIdentificationStrategy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.admin.AdminPageServlet;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.job.TypeKeyIndex;
import hapibulk.testsupport.BackendServicesTokens;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A partitioned host as the JPA starter makes it with {@code hapi.fhir.partitioning}: URL-based tenants
 * ({@link UrlBaseTenantIdentificationStrategy} and HAPI's {@link RequestTenantPartitionInterceptor} on the
 * RestfulServer), partitions made through HAPI's partition management operation. Tenants A and B hold the same
 * Synthea patients (the same ids) plus a resource and a Group of their own; tenant C is empty. Every export holds
 * exactly its tenant's data, an import into A changes nothing in B, and a job is unknown outside its tenant.
 * Also the scenarios of hapi-fhir #2931 (an export in a partition has files, downloadable in that partition) and
 * #6665 (status polls under a host's STORAGE_PARTITION_IDENTIFY_ANY hook). In auth mode smart, with tokens from the
 * real token endpoint: a client's own token, and an administrator's ({@code system/bulk-admin}), find nothing of A's
 * job through another tenant's URL. A job's files lie under its tenant's folder ({@code tenants/A/<job>}).
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class,
		TenantsOverUrlTenantsTest.PartitioningOn.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantsOverUrlTenantsTest {

	static final ObjectMapper JSON = new ObjectMapper();
	static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole", "Patient",
			"Device", "AllergyIntolerance");
	static final Path FILES = tempDirectory("hapi-bulk-tenant-files");
	static final Path INPUTS = tempDirectory("hapi-bulk-tenant-inputs");
	static final BackendServicesTokens TOKENS = new BackendServicesTokens();
	/** Tokens live 5 minutes at most: a client's is renewed when older than this. */
	static final Duration RENEW_AFTER = Duration.ofMinutes(2);

	@Configuration(proxyBeanMethods = false)
	static class PartitioningOn {
		@Bean
		static BeanPostProcessor partitioningOn() {
			return new BeanPostProcessor() {
				@Override
				public Object postProcessBeforeInitialization(Object bean, String beanName) {
					if (bean instanceof PartitionSettings settings) {
						settings.setPartitioningEnabled(true);
						// HAPI 8.8 keeps ids unique per type across partitions unless partition ids are part of its keys
						settings.setDatabasePartitionMode(true);
						settings.setDefaultPartitionId(0);
					}
					return bean;
				}
			};
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", FILES::toString);
		registry.add("hapi.bulk.import.directory", INPUTS::toString);
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		String jwks = TOKENS.jwks();
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> "owner");
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/*.cruds");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "operator");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/bulk-admin");
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.export.max-running-exports", () -> "50");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.export.create-type-index", () -> "true");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	RequestTenantPartitionInterceptor urlTenants;
	@Autowired
	IPartitionLookupSvc partitions;
	@Autowired
	Tenants tenants;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	FhirContext fhirContext;
	@Autowired
	IFhirSystemDao<?, ?> systemDao;
	@Autowired
	DataSource dataSource;

	RestfulServerClient anonymous;
	/** Client id to its client with a token, and when the token was issued. */
	final Map<String, Map.Entry<Instant, RestfulServerClient>> clients = new HashMap<>();
	/** The Synthea resources both A and B hold, as "Type/id". */
	Set<String> synthea = new TreeSet<>();
	List<String> patientIds = new ArrayList<>();

	@BeforeAll
	void partitionedHost() {
		server.setTenantIdentificationStrategy(new UrlBaseTenantIdentificationStrategy());
		server.registerInterceptor(urlTenants);
		anonymous = new RestfulServerClient(server);
		createPartition(1, "A");
		createPartition(2, "B");
		createPartition(3, "C");
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		for (String type : TYPES) {
			List<String> lines = SyntheaData.lines(type);
			loader.load(lines, in("A"));
			loader.load(lines, in("B"));
			for (String line : lines) {
				JsonNode node = read(line);
				synthea.add(type + "/" + node.get("id").asText());
				if (type.equals("Patient")) {
					patientIds.add(node.get("id").asText());
				}
			}
		}
		store("A", observation("only-a"));
		store("B", observation("only-b"));
		store("A", group(patientIds.get(0), patientIds.get(1)));
		store("B", group(patientIds.get(2)));
	}

	@Test
	@Order(1)
	void createTypeIndex_onAPartitionedHost_makesTheIndexWithThePartitionAsAKey() throws SQLException {
		Set<String> indexes = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
		try (Connection connection = dataSource.getConnection()) {
			for (String table : List.of("HFJ_RESOURCE", "hfj_resource")) {
				try (ResultSet rows = connection.getMetaData().getIndexInfo(null, null, table, false, true)) {
					while (rows.next()) {
						indexes.add(String.valueOf(rows.getString("INDEX_NAME")));
					}
				}
			}
		}
		assertThat(indexes).contains(TypeKeyIndex.NAME, TypeKeyIndex.TENANT_NAME);
	}

	@Test
	@Order(1)
	void systemExport_ofEachTenant_holdsExactlyItsData_inFilesItsOwnUrlServes() throws Exception {
		// when
		Map<String, List<String>> a = exported("A", "$export");
		Map<String, List<String>> b = exported("B", "$export");
		Map<String, List<String>> c = exported("C", "$export");

		// then: the same ids in A and B are two resources, each exported once, in its tenant only
		Set<String> expectedA = new TreeSet<>(synthea);
		expectedA.addAll(List.of("Observation/only-a", "Group/cohort"));
		Set<String> expectedB = new TreeSet<>(synthea);
		expectedB.addAll(List.of("Observation/only-b", "Group/cohort"));
		assertThat(all(a)).containsExactlyElementsOf(expectedA);
		assertThat(all(b)).containsExactlyElementsOf(expectedB);
		assertThat(count(a)).isEqualTo(expectedA.size());
		assertThat(c).isEmpty();
	}

	@Test
	@Order(2)
	void patientAndGroupExports_holdTheTenantsPatientsAndItsGroupsMembers() throws Exception {
		// when
		Map<String, List<String>> patientA = exported("A", "Patient/$export?_type=Patient,Observation");
		Map<String, List<String>> patientB = exported("B", "Patient/$export?_type=Patient,Observation");
		Map<String, List<String>> groupA = exported("A", "Group/cohort/$export?_type=Patient,Observation");
		Map<String, List<String>> groupB = exported("B", "Group/cohort/$export?_type=Patient,Observation");
		Answer groupC = owner().get("C/Group/cohort/$export", kickOffHeaders());

		// then
		assertThat(new TreeSet<>(patientA.get("Patient"))).containsExactlyElementsOf(new TreeSet<>(patientIds));
		assertThat(patientA.get("Patient")).hasSameSizeAs(patientIds);
		assertThat(patientA.get("Observation")).containsExactly("only-a");
		assertThat(patientB.get("Observation")).containsExactly("only-b");
		assertThat(groupA.get("Patient")).containsExactlyInAnyOrder(patientIds.get(0), patientIds.get(1));
		assertThat(groupA.get("Observation")).containsExactly("only-a");
		// B's Group holds another patient: B's Observation (of the first patient) is not in its compartments
		assertThat(groupB.get("Patient")).containsExactly(patientIds.get(2));
		assertThat(groupB).doesNotContainKey("Observation");
		assertThat(groupC.status()).as(groupC.body()).isEqualTo(404);
	}

	@Test
	@Order(3)
	void typeFilterAndSince_runInTheTenant() throws Exception {
		String first = patientIds.get(0);

		// when
		Map<String, List<String>> filtered = exported("B", "$export?_type=Patient&_typeFilter=Patient%3F_id%3D" + first);
		Map<String, List<String>> since = exported("A", "$export?_type=Observation,Patient&_since="
				+ Instant.now().minus(Duration.ofDays(3650)));

		// then
		assertThat(filtered.get("Patient")).containsExactly(first);
		assertThat(since.get("Observation")).containsExactly("only-a");
		assertThat(since.get("Patient")).hasSameSizeAs(patientIds);
	}

	@Test
	@Order(4)
	void aJobOfA_isUnknownThroughBsAndCsUrls_forStatusFileCancelAndTheJobList() throws Exception {
		// given: a finished export of A
		String job = jobId(kickOff("A", "$export?_type=Patient"));
		JsonNode manifest = awaitManifest("A", job);
		String fileUrl = manifest.get("output").get(0).get("url").asText();
		String fileQuery = fileUrl.substring(fileUrl.indexOf("$bulk-file"));

		// when, then: through another tenant's URL, every door answers as for an unknown job
		for (String other : List.of("B", "C", "DEFAULT")) {
			assertThat(owner().get(other + "/$bulk-status?job=" + job).status()).as(other).isEqualTo(404);
			assertThat(owner().get(other + "/" + fileQuery).status()).as(other).isEqualTo(404);
			assertThat(admin().get(other + "/$bulk-jobs?job=" + job).status()).as(other).isEqualTo(404);
			assertThat(admin().get(other + "/$bulk-jobs").body()).as(other).doesNotContain(job);
			assertThat(owner().delete(other + "/$bulk-status?job=" + job).status()).as(other).isEqualTo(404);
			// an administrator of bulk jobs (who cancels any job of its own tenant) neither
			assertThat(admin().get(other + "/$bulk-status?job=" + job).status()).as(other).isEqualTo(404);
			assertThat(admin().get(other + "/" + fileQuery).status()).as(other).isEqualTo(404);
			assertThat(admin().delete(other + "/$bulk-status?job=" + job).status()).as(other).isEqualTo(404);
		}
		// and through A's, the job is there, untouched by the cancels
		assertThat(owner().get("A/$bulk-status?job=" + job).status()).isEqualTo(200);
		assertThat(owner().get("A/" + fileQuery).status()).isEqualTo(200);
		assertThat(admin().get("A/$bulk-jobs?job=" + job).status()).isEqualTo(200);
		assertThat(admin().get("A/$bulk-jobs").body()).contains(job);
		// its files lie under A's folder, nothing where a job without a tenant would lie
		assertThat(FILES.resolve("tenants/A/" + job + "/Patient-1.ndjson")).isRegularFile();
		assertThat(FILES.resolve(job)).doesNotExist();
	}

	@Test
	@Order(5)
	void hapiFhir2931_anExportInAPartition_listsFiles_downloadableThroughThatPartition() throws Exception {
		// when
		String job = jobId(kickOff("A", "$export?_type=Patient"));
		JsonNode manifest = awaitManifest("A", job);

		// then
		assertThat(manifest.get("request").asText()).startsWith(RestfulServerClient.BASE + "/A/$export");
		assertThat(manifest.get("output")).isNotEmpty();
		for (JsonNode output : manifest.get("output")) {
			assertThat(output.get("url").asText()).startsWith(RestfulServerClient.BASE + "/A/$bulk-file?");
			Answer file = owner().get(output.get("url").asText());
			assertThat(file.status()).isEqualTo(200);
			assertThat(file.body().lines().count()).isEqualTo(patientIds.size());
		}
		// and DELETE through A removes them from A's folder
		assertThat(FILES.resolve("tenants/A/" + job)).isDirectory();
		assertThat(owner().delete("A/$bulk-status?job=" + job).status()).isEqualTo(202);
		assertThat(FILES.resolve("tenants/A/" + job)).doesNotExist();
	}

	@Test
	@Order(6)
	void hapiFhir6665_statusPolls_underAHostsIdentifyAnyHook() throws Exception {
		// given: a host hook on STORAGE_PARTITION_IDENTIFY_ANY that names a partition only for typed requests (as
		// in #6665, where HAPI's own poll then failed with HAPI-1319)
		TypedRequestsOnly hook = new TypedRequestsOnly();
		server.registerInterceptor(hook);
		try {
			// when
			String job = jobId(kickOff("A", "Patient/$export?_type=Patient"));
			JsonNode manifest = awaitManifest("A", job);

			// then
			assertThat(hook.calls.get()).isPositive();
			assertThat(manifest.get("output").get(0).get("count").asInt()).isEqualTo(patientIds.size());
			assertThat(owner().get("B/$bulk-status?job=" + job).status()).isEqualTo(404);
		} finally {
			server.unregisterInterceptor(hook);
		}
	}

	/** Submissions carry no tenant yet: refused on a partitioned server, before anything is fetched. */
	@Test
	@Order(6)
	void bulkSubmit_isRefusedUnderATenant_withItsCode() {
		String body = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"submitter\",\"valueIdentifier\":"
				+ "{\"system\":\"https://example.org\",\"value\":\"p\"}},{\"name\":\"submissionId\",\"valueString\":\"s1\"},"
				+ "{\"name\":\"manifestUrl\",\"valueString\":\"https://provider.example/m\"},"
				+ "{\"name\":\"fhirBaseUrl\",\"valueString\":\"https://provider.example\"}]}";

		Answer submit = owner().post("A/$bulk-submit", body, "Content-Type", "application/fhir+json",
				"Accept", "application/fhir+json");
		Answer status = owner().get("A/$bulk-submit-status?submitter=p&submissionId=s1", "Accept", "application/fhir+json");

		assertThat(submit.status()).as(submit.body()).isEqualTo(400);
		assertThat(submit.body()).contains("BULK-0804");
		assertThat(status.status()).as(status.body()).isEqualTo(400);
		assertThat(status.body()).contains("BULK-0804");
	}

	@Test
	@Order(7)
	void auditEvents_nameTheTenant_andAreStoredInDefault() throws Exception {
		kickOff("C", "$export?_type=Patient");

		// then: AuditEvents are the operator's: in DEFAULT, naming the tenant of the request
		List<String> events = awaitAuditEvents();
		assertThat(events).anySatisfy(event -> assertThat(event).contains("tenant").contains("\"C\""));
	}

	@Test
	@Order(8)
	void anImportIntoA_writesIntoA_andChangesNothingInB() throws Exception {
		// given: a new patient and a change to a patient A and B both hold
		String first = patientIds.get(0);
		Patient changed = daoRegistry.getResourceDao(Patient.class).read(new org.hl7.fhir.r4.model.IdType("Patient", first),
				in("A"));
		changed.setName(List.of(new HumanName().setFamily("Imported-Into-A")));
		Patient added = new Patient().addName(new HumanName().setFamily("New-In-A"));
		added.setId("imported-1");
		// and a line that is no resource: its error file goes to A's folder
		Path input = Files.writeString(INPUTS.resolve("patients.ndjson"),
				fhirContext.newJsonParser().encodeResourceToString(added) + "\n"
						+ fhirContext.newJsonParser().encodeResourceToString(changed) + "\n"
						+ "{\"resourceType\":\"Patient\",\"id\":\n");
		String before = encode(daoRegistry.getResourceDao(Patient.class).read(
				new org.hl7.fhir.r4.model.IdType("Patient", first), in("B")));

		// when
		Answer kickOff = owner().post("A/$import", "{\"inputFormat\":\"application/fhir+ndjson\",\"inputSource\":"
						+ "\"https://ehr.example.org/a\",\"storageDetail\":{\"type\":\"file\"},\"input\":[{\"type\":\"Patient\","
						+ "\"url\":\"" + input.toUri() + "\"}]}",
				"Prefer", "respond-async", "Content-Type", "application/json");
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String job = jobId(kickOff);
		JsonNode manifest = awaitManifest("A", job);

		// then
		var patients = daoRegistry.getResourceDao(Patient.class);
		assertThat(patients.read(new org.hl7.fhir.r4.model.IdType("Patient", "imported-1"), in("A")).getNameFirstRep()
				.getFamily()).isEqualTo("New-In-A");
		assertThat(patients.read(new org.hl7.fhir.r4.model.IdType("Patient", first), in("A")).getNameFirstRep()
				.getFamily()).isEqualTo("Imported-Into-A");
		assertThatThrownBy(() -> patients.read(new org.hl7.fhir.r4.model.IdType("Patient", "imported-1"), in("B")))
				.isInstanceOf(BaseServerResponseException.class);
		assertThat(encode(patients.read(new org.hl7.fhir.r4.model.IdType("Patient", first), in("B")))).isEqualTo(before);
		assertThat(patients.search(SearchParameterMap.newSynchronous(), in("B")).size()).isEqualTo(patientIds.size());
		assertThat(patients.search(SearchParameterMap.newSynchronous(), in("C")).size()).isZero();
		// the error file: under A's folder, served through A's URL only
		String errorUrl = manifest.get("error").get(0).get("url").asText();
		assertThat(errorUrl).startsWith(RestfulServerClient.BASE + "/A/$bulk-file?");
		Answer errors = owner().get(errorUrl);
		assertThat(errors.status()).as(errors.body()).isEqualTo(200);
		assertThat(errors.body().lines().count()).isEqualTo(1);
		assertThat(owner().get("B/" + errorUrl.substring(errorUrl.indexOf("$bulk-file"))).status()).isEqualTo(404);
		assertThat(FILES.resolve("tenants/A/" + job)).isDirectoryContaining(path -> path.getFileName().toString()
				.startsWith("errors-"));
		assertThat(FILES.resolve(job)).doesNotExist();
	}

	@Test
	@Order(9)
	void theJobPageOfATenant_listsAndCancelsThroughThatTenantsUrl_only() throws Exception {
		// given: the page as a Boot host serves it here (tenants on), a finished job of A and one of B
		AdminPageServlet page = new AdminPageServlet("/fhir", true, tenants::enabled);
		String jobA = jobId(kickOff("A", "$export?_type=Patient"));
		String jobB = jobId(kickOff("B", "$export?_type=Patient"));
		awaitManifest("A", jobA);
		awaitManifest("B", jobB);

		// when: A's page (/bulk-admin/?tenant=A) asks for its config, then calls the API where the config says
		MockHttpServletResponse configA = pageConfig(page, "A");
		String baseA = JSON.readTree(configA.getContentAsString()).get("fhirBase").asText();
		Answer list = admin().get(relative(baseA) + "/$bulk-jobs?_count=25&page=1");

		// then: A's jobs only
		assertThat(configA.getContentAsString()).isEqualTo(
				"{\"fhirBase\":\"/fhir/A\",\"askForToken\":true,\"tenants\":true,\"tenant\":\"A\"}");
		assertThat(list.status()).as(list.body()).isEqualTo(200);
		assertThat(list.body()).contains(jobA).doesNotContain(jobB);
		// the page's cancel (DELETE [fhirBase]/$bulk-status?job=): B's job is unknown there, A's is cancelled
		assertThat(admin().delete(relative(baseA) + "/$bulk-status?job=" + jobB).status()).isEqualTo(404);
		assertThat(admin().delete(relative(baseA) + "/$bulk-status?job=" + jobA).status()).isEqualTo(202);
		assertThat(owner().get("A/$bulk-status?job=" + jobA).status()).isEqualTo(404);
		assertThat(owner().get("B/$bulk-status?job=" + jobB).status()).isEqualTo(200);

		// and without a tenant the page calls the base as before, which HAPI's URL tenants take for DEFAULT (an
		// operation first in the path): DEFAULT's jobs, neither A's nor B's
		MockHttpServletResponse noTenant = pageConfig(page, null);
		assertThat(noTenant.getContentAsString()).isEqualTo("{\"fhirBase\":\"/fhir\",\"askForToken\":true,\"tenants\":true}");
		Answer base = admin().get("$bulk-jobs?_count=25&page=1");
		assertThat(base.status()).as(base.body()).isEqualTo(200);
		assertThat(base.body()).doesNotContain(jobA).doesNotContain(jobB)
				.isEqualTo(admin().get("DEFAULT/$bulk-jobs?_count=25&page=1").body());

		// a tenant that is no partition name is refused: nothing is built from it
		for (String bad : List.of("A/../B", "A?x=1", "<script>", "A%2FB", "", "A B")) {
			MockHttpServletResponse refused = pageConfig(page, bad);
			assertThat(refused.getStatus()).as(bad).isEqualTo(400);
			assertThat(refused.getContentAsString()).as(bad).contains("BULK-0805").doesNotContain("fhirBase");
		}
	}

	/** {@code config.json} as the job page asks for it, with {@code ?tenant=} when a tenant is given. */
	private static MockHttpServletResponse pageConfig(AdminPageServlet page, String tenant) throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/bulk-admin/config.json");
		request.setServletPath("/bulk-admin");
		request.setPathInfo("/config.json");
		if (tenant != null) {
			request.setParameter("tenant", tenant);
		}
		MockHttpServletResponse response = new MockHttpServletResponse();
		page.service(request, response);
		return response;
	}

	/** A path of the page's FHIR base, as the test client takes it (relative to {@code /fhir}). */
	private static String relative(String fhirBase) {
		assertThat(fhirBase).startsWith("/fhir/");
		return fhirBase.substring("/fhir/".length());
	}

	/** A host's hook as in #6665: a partition for requests of a resource type, none for the others. */
	@Interceptor
	static class TypedRequestsOnly {
		final AtomicInteger calls = new AtomicInteger();

		@Hook(Pointcut.STORAGE_PARTITION_IDENTIFY_ANY)
		public RequestPartitionId identify(RequestDetails request) {
			calls.incrementAndGet();
			if (request instanceof SystemRequestDetails) {
				return RequestPartitionId.defaultPartition();
			}
			return request.getResourceName() == null ? null : RequestPartitionId.fromPartitionName(request.getTenantId());
		}
	}

	/**
	 * Through HAPI's partition management service: its REST operation ({@code DEFAULT/$partition-management-create-
	 * partition}, what the starter offers) needs a token no bulk client holds in mode smart.
	 */
	private void createPartition(int id, String name) {
		partitions.createPartition(new PartitionEntity().setId(id).setName(name), new SystemRequestDetails());
	}

	/** A bulk client with {@code system/*.cruds} (exports, imports, its own jobs). */
	private RestfulServerClient owner() {
		return as("owner", "system/*.cruds");
	}

	/** An administrator of bulk jobs ({@code system/bulk-admin}). */
	private RestfulServerClient admin() {
		return as("operator", "system/bulk-admin");
	}

	/** The client with a token from the server's token endpoint, renewed before it expires. */
	private RestfulServerClient as(String clientId, String scope) {
		Map.Entry<Instant, RestfulServerClient> held = clients.get(clientId);
		if (held == null || held.getKey().isBefore(Instant.now().minus(RENEW_AFTER))) {
			held = Map.entry(Instant.now(),
					anonymous.withHeaders("Authorization", "Bearer " + TOKENS.token(anonymous, clientId, scope)));
			clients.put(clientId, held);
		}
		return held.getValue();
	}

	private static SystemRequestDetails in(String tenant) {
		return SystemRequestDetails.forRequestPartitionId(RequestPartitionId.fromPartitionIdAndName(
				switch (tenant) {
					case "A" -> 1;
					case "B" -> 2;
					default -> 3;
				}, tenant));
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void store(String tenant, org.hl7.fhir.instance.model.api.IBaseResource resource) {
		((ca.uhn.fhir.jpa.api.dao.IFhirResourceDao) daoRegistry.getResourceDao(resource.fhirType()))
				.update(resource, in(tenant));
	}

	private Observation observation(String id) {
		Observation observation = new Observation().setStatus(Observation.ObservationStatus.FINAL)
				.setCode(new CodeableConcept().setText("tenant marker"))
				.setSubject(new Reference("Patient/" + patientIds.get(0)));
		observation.setId(id);
		return observation;
	}

	private static Group group(String... members) {
		Group group = new Group().setType(Group.GroupType.PERSON).setActual(true);
		group.setId("cohort");
		for (String member : members) {
			group.addMember().setEntity(new Reference("Patient/" + member));
		}
		return group;
	}

	private Answer kickOff(String tenant, String pathAndQuery) {
		Answer answer = owner().get(tenant + "/" + pathAndQuery, kickOffHeaders());
		assertThat(answer.status()).as(answer.body()).isEqualTo(202);
		assertThat(answer.header("Content-Location")).startsWith(RestfulServerClient.BASE + "/" + tenant + "/$bulk-status");
		return answer;
	}

	/** Type to ids, in file order, of what an export of the tenant holds (each file downloaded through its URL). */
	private Map<String, List<String>> exported(String tenant, String pathAndQuery) throws Exception {
		JsonNode manifest = awaitManifest(tenant, jobId(kickOff(tenant, pathAndQuery)));
		Map<String, List<String>> byType = new TreeMap<>();
		for (JsonNode output : manifest.get("output")) {
			Answer file = owner().get(output.get("url").asText());
			assertThat(file.status()).as(file.body()).isEqualTo(200);
			file.body().lines().filter(line -> !line.isBlank()).map(TenantsOverUrlTenantsTest::read).forEach(node ->
					byType.computeIfAbsent(node.get("resourceType").asText(), type -> new ArrayList<>())
							.add(node.get("id").asText()));
		}
		return byType;
	}

	private JsonNode awaitManifest(String tenant, String job) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
		while (true) {
			Answer status = owner().get(tenant + "/$bulk-status?job=" + job);
			if (status.status() == 200) {
				return JSON.readTree(status.body());
			}
			assertThat(status.status()).as(status.body()).isEqualTo(202);
			assertThat(System.nanoTime()).as("job " + job + " still running").isLessThan(deadline);
			Thread.sleep(100);
		}
	}

	private List<String> awaitAuditEvents() throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		while (true) {
			var found = daoRegistry.getResourceDao("AuditEvent").search(SearchParameterMap.newSynchronous(),
					SystemRequestDetails.forRequestPartitionId(RequestPartitionId.defaultPartition()));
			List<String> events = found.getAllResources().stream().map(this::encode).toList();
			if (events.stream().anyMatch(event -> event.contains("\"C\"")) || System.nanoTime() > deadline) {
				return events;
			}
			Thread.sleep(100);
		}
	}

	private String encode(org.hl7.fhir.instance.model.api.IBaseResource resource) {
		return fhirContext.newJsonParser().encodeResourceToString(resource);
	}

	private static Set<String> all(Map<String, List<String>> byType) {
		Set<String> all = new TreeSet<>();
		byType.forEach((type, ids) -> ids.forEach(id -> all.add(type + "/" + id)));
		return all;
	}

	private static int count(Map<String, List<String>> byType) {
		return byType.values().stream().mapToInt(List::size).sum();
	}

	private static String jobId(Answer kickOff) {
		String location = kickOff.header("Content-Location");
		return location.substring(location.indexOf("job=") + 4);
	}

	private static JsonNode read(String line) {
		try {
			return JSON.readTree(line);
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}
}
