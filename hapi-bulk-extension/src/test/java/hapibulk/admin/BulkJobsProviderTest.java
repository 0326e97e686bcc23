package hapibulk.admin;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.audit.AuditAction;
import hapibulk.audit.BulkAudit;
import hapibulk.config.BulkConfiguration;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.job.StatusOptions;
import hapibulk.testsupport.RestfulServerClient;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The administrators' job API through the host's real RestfulServer (HAPI JPA over H2, mode smart): who may
 * use it, its filters and pages, its progress figures after real jobs, and an administrator's cancel.
 */
@SpringJUnitConfig(classes = {hapibulk.testsupport.TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkJobsProviderTest {

	static final RSAKey KEY = generateKey();
	static final ObjectMapper JSON = new ObjectMapper();
	static final Path FILES = tempDirectory("hapi-bulk-admin-files");
	static final Path INPUTS = tempDirectory("hapi-bulk-admin-inputs");
	static final String TOKEN_URL = RestfulServerClient.BASE + "/auth/token";

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", FILES::toString);
		registry.add("hapi.bulk.import.directory", INPUTS::toString);
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.export.max-running-exports", () -> "50");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		String jwks = new JWKSet(KEY.toPublicJWK()).toString();
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> "owner");
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/*.rs");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "operator");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/bulk-admin");
		registry.add("hapi.bulk.auth.clients[2].client-id", () -> "list-reader");
		registry.add("hapi.bulk.auth.clients[2].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[2].scopes", () -> "system/bulk-admin");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	ResourceProviderFactory resourceProviders;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	BulkJobTable table;
	@Autowired
	ImportJobService importJobService;

	RestfulServerClient client;
	String ownerToken;
	String adminToken;

	@BeforeAll
	void startServer() throws Exception {
		server.registerProviders(resourceProviders.createProviders());
		client = new RestfulServerClient(server);
		SystemRequestDetails system = new SystemRequestDetails();
		for (int i = 0; i < 3; i++) {
			daoRegistry.getResourceDao(Patient.class).create(new Patient().setActive(true), system);
		}
		daoRegistry.getResourceDao(Organization.class).create(new Organization().setName("Org"), system);
		ownerToken = token("owner", "system/*.rs");
		adminToken = token("operator", "system/bulk-admin");
	}

	@Test
	void jobs_withoutTheAdminScope_is403_andTheAdminScopeReadsNoData() {
		// when
		RestfulServerClient.Answer refused = client.get("$bulk-jobs", bearer(ownerToken));
		RestfulServerClient.Answer patients = client.get("Patient", bearer(adminToken));
		RestfulServerClient.Answer export = client.get("$export",
				RestfulServerClient.kickOffHeaders("Authorization", "Bearer " + adminToken));

		// then
		assertThat(refused.status()).isEqualTo(403);
		assertThat(refused.body()).contains("BULK-0625");
		assertThat(patients.status()).isEqualTo(403);
		assertThat(export.status()).as(export.body()).isEqualTo(403);
	}

	@Test
	void jobs_filtersByStateAndKind_newestFirst_inPages() throws Exception {
		// given: five import rows, older to newer, and one export
		String marker = UUID.randomUUID().toString().substring(0, 8);
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			String id = marker + "-" + i;
			ids.add(id);
			table.insert(row(id, BulkJobKind.IMPORT, i % 2 == 0 ? BulkJobState.FAILED : BulkJobState.COMPLETED,
					Instant.parse("2020-01-01T00:00:00Z").plusSeconds(i)));
		}
		table.insert(row(marker + "-e", BulkJobKind.EXPORT, BulkJobState.FAILED, Instant.parse("2020-01-02T00:00:00Z")));

		// when: failed imports, two a page
		JsonNode first = json(client.get("$bulk-jobs?state=failed&kind=import&_count=2", bearer(adminToken)));
		JsonNode second = json(client.get(first.path("next").asText(), bearer(adminToken)));

		// then: newest first (other tests' jobs are newer than 2020 and not failed imports)
		assertThat(texts(first.path("jobs"), "id")).containsExactly(ids.get(4), ids.get(2));
		assertThat(texts(second.path("jobs"), "id")).containsExactly(ids.get(0));
		assertThat(second.has("next")).isFalse();
		assertThat(first.path("jobs").get(0).path("kind").asText()).isEqualTo("import");
		assertThat(first.path("jobs").get(0).path("owner").asText()).isEqualTo("someone");
	}

	@Test
	void jobs_refusesBadParameters_andUnknownJobs() {
		assertThat(client.get("$bulk-jobs?state=sleeping", bearer(adminToken)).body()).contains("BULK-0621");
		assertThat(client.get("$bulk-jobs?kind=copy", bearer(adminToken)).body()).contains("BULK-0622");
		assertThat(client.get("$bulk-jobs?_count=1000", bearer(adminToken)).body()).contains("BULK-0623");
		assertThat(client.get("$bulk-jobs?page=0", bearer(adminToken)).status()).isEqualTo(400);
		assertThat(client.get("$bulk-jobs?colour=red", bearer(adminToken)).body()).contains("BULK-0620");
		RestfulServerClient.Answer unknown = client.get("$bulk-jobs?job=nosuchjob", bearer(adminToken));
		assertThat(unknown.status()).isEqualTo(404);
		assertThat(unknown.body()).contains("BULK-0626");
	}

	@Test
	void aFinishedExport_showsEveryTypeDone_andItsSteps() throws Exception {
		// given (another test imports Organizations)
		int organizations = daoRegistry.getResourceDao(Organization.class).search(SearchParameterMap.newSynchronous(),
				new SystemRequestDetails()).size();
		RestfulServerClient.Answer kickOff = client.get("$export?_type=Patient,Organization",
				RestfulServerClient.kickOffHeaders("Authorization", "Bearer " + ownerToken));
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String jobId = kickOff.header("Content-Location").replaceAll(".*job=", "");
		awaitState(jobId, BulkJobState.COMPLETED);

		// when
		JsonNode job = json(client.get("$bulk-jobs?job=" + jobId, bearer(adminToken)));

		// then: counts, not guesses
		assertThat(job.path("owner").asText()).isEqualTo("owner");
		assertThat(job.path("level").asText()).isEqualTo("system");
		JsonNode progress = job.path("progress");
		assertThat(progress.path("done").asLong()).isEqualTo(3 + organizations);
		assertThat(progress.path("total").asLong()).isEqualTo(3 + organizations);
		assertThat(progress.path("percent").asInt()).isEqualTo(100);
		assertThat(texts(progress.path("types"), "type")).containsExactly("Organization", "Patient");
		assertThat(progress.path("types").get(1).path("done").asLong()).isEqualTo(3);
		assertThat(progress.path("types").get(1).path("total").asLong()).isEqualTo(3);
		assertThat(job.path("files").path("count").asInt()).isEqualTo(2);
		assertThat(job.path("files").path("bytes").asLong()).isPositive();
		assertThat(job.path("startedAt").isTextual()).isTrue();
		assertThat(job.path("finishedAt").isTextual()).isTrue();
		assertThat(texts(job.path("steps"), "name")).contains("bulkExportTypeStep:Patient");
		// a single node names no node (cluster mode does: ClusterIT)
		job.path("steps").forEach(step -> assertThat(step.has("node")).as(step.toString()).isFalse());
		assertThat(job.path("correlationId").asText()).isEqualTo(jobId);
	}

	@Test
	void aFinishedImport_showsItsLines_notZeroOfZero() throws Exception {
		// given: three lines, one of them bad
		Path file = INPUTS.resolve("orgs-" + UUID.randomUUID() + ".ndjson");
		Files.writeString(file, "{\"resourceType\":\"Organization\",\"id\":\"adm-1\",\"name\":\"A\"}\n"
				+ "{\"resourceType\":\"Organization\",\"name\":\"no id\"}\n"
				+ "{\"resourceType\":\"Organization\",\"id\":\"adm-2\",\"name\":\"B\"}\n");
		BulkJob submitted = importJobService.submit(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", file.toUri().toString())),
				RestfulServerClient.BASE + "/$import"), "owner");
		awaitState(submitted.id(), BulkJobState.COMPLETED);

		// when
		JsonNode job = json(client.get("$bulk-jobs?job=" + submitted.id(), bearer(adminToken)));

		// then
		assertThat(table.find(submitted.id()).orElseThrow().progressDone()).isEqualTo(3);
		assertThat(table.find(submitted.id()).orElseThrow().progressTotal()).isEqualTo(3);
		JsonNode progress = job.path("progress");
		assertThat(progress.path("unit").asText()).isEqualTo("lines");
		assertThat(progress.path("done").asLong()).isEqualTo(3);
		assertThat(progress.path("total").asLong()).isEqualTo(3);
		assertThat(progress.path("types").get(0).path("total").asLong()).isEqualTo(3);
		assertThat(job.path("errors").path("count").asLong()).isEqualTo(1);
		assertThat(job.path("errors").path("files").get(0).path("url").asText())
				.startsWith(RestfulServerClient.BASE + "/$bulk-file?job=" + submitted.id());
	}

	@Test
	void anAdministrator_cancelsAnotherClientsJob_andItIsAudited() throws Exception {
		// given: a queued job of another client (no execution: nothing picks it up)
		String id = "adm-cancel-" + UUID.randomUUID().toString().substring(0, 8);
		table.insert(row(id, BulkJobKind.EXPORT, BulkJobState.ACCEPTED, Instant.now()));

		// when
		RestfulServerClient.Answer ownerTry = client.delete("$bulk-status?job=" + id, bearer(ownerToken));
		RestfulServerClient.Answer adminStatus = client.get("$bulk-status?job=" + id, bearer(adminToken));
		RestfulServerClient.Answer cancel = client.delete("$bulk-status?job=" + id, bearer(adminToken));

		// then: only the administrator could, and reading its status stays the owner's
		assertThat(ownerTry.status()).isEqualTo(404);
		assertThat(adminStatus.status()).isEqualTo(404);
		assertThat(cancel.status()).as(cancel.body()).isEqualTo(202);
		assertThat(table.find(id).orElseThrow().state()).isEqualTo(BulkJobState.CANCELLED);
		JsonNode listed = json(client.get("$bulk-jobs?job=" + id, bearer(adminToken)));
		assertThat(listed.path("state").asText()).isEqualTo("cancelled");
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(auditEvents(AuditAction.ADMIN_JOB_CANCELLED))
				.anySatisfy(event -> {
					assertThat(event.getAgentFirstRep().getWho().getIdentifier().getValue()).isEqualTo("operator");
					assertThat(event.getEntity().stream().flatMap(entity -> entity.getDetail().stream())
							.anyMatch(detail -> detail.getValue().primitiveValue().equals(id))).isTrue();
				}));
	}

	@Test
	void theList_showsNoSourceQueriesNorPatientIds_theDetailShowsPatientIds_andListReadsAreAuditedCoalesced()
			throws Exception {
		// given: an import from a pre-signed URL with user info, and a patient's export naming patients in its query
		String marker = UUID.randomUUID().toString().substring(0, 8);
		Instant created = Instant.parse("2100-01-01T00:00:00Z");
		String source = "https://user:pw@bucket.s3.example.org/in/Patient.ndjson?X-Amz-Signature=s3cr3t&X-Amz-Credential=AKIA";
		BulkManifest manifest = new BulkManifest(created, RestfulServerClient.BASE + "/$import", true, List.of(), List.of(),
				List.of(new BulkManifest.ManifestFile("OperationOutcome", "errors-1.ndjson", 2, 100, null, null, source)), null);
		table.insert(new BulkJob(marker + "-i", BulkJobKind.IMPORT, BulkJobState.COMPLETED, "someone",
				RestfulServerClient.BASE + "/$import", "{}", created, created, created.plusSeconds(3600), null, 2, 2,
				StoredManifestJson.store(manifest), null, new StatusOptions(false, false, null)));
		table.insert(new BulkJob(marker + "-e", BulkJobKind.EXPORT, BulkJobState.FAILED, "someone",
				RestfulServerClient.BASE + "/Patient/pat-secret-1/$export?_type=Observation&_typeFilter="
						+ "Observation%3Fsubject%3DPatient%2Fpat-secret-2", "{}", created.plusSeconds(1), created,
				created.plusSeconds(3600), null, 0, 0, null, "reason", new StatusOptions(false, false, null)));
		String listReader = token("list-reader", "system/bulk-admin");
		ListAppender<ILoggingEvent> log = new ListAppender<>();
		log.start();
		Logger auditLogger = (Logger) LoggerFactory.getLogger(BulkAudit.LOGGER);
		auditLogger.addAppender(log);

		// when: the list, read three times, and each job's detail
		List<String> lists = new ArrayList<>();
		try {
			for (int i = 0; i < 3; i++) {
				lists.add(client.get("$bulk-jobs?_count=100", bearer(listReader)).body());
			}
		} finally {
			auditLogger.detachAppender(log);
		}
		JsonNode importDetail = json(client.get("$bulk-jobs?job=" + marker + "-i", bearer(listReader)));
		JsonNode exportDetail = json(client.get("$bulk-jobs?job=" + marker + "-e", bearer(listReader)));

		// then: the list shows where the data came from, not the signature, password or patients
		JsonNode list = JSON.readTree(lists.get(0));
		assertThat(lists.get(0)).contains(marker + "-i", marker + "-e")
				.doesNotContain("s3cr3t", "X-Amz", "user:pw", "pat-secret-1", "pat-secret-2");
		JsonNode listedImport = null;
		JsonNode listedExport = null;
		for (JsonNode job : list.path("jobs")) {
			listedImport = job.path("id").asText().equals(marker + "-i") ? job : listedImport;
			listedExport = job.path("id").asText().equals(marker + "-e") ? job : listedExport;
		}
		assertThat(listedImport.path("errors").path("files").get(0).path("input").asText())
				.isEqualTo("https://bucket.s3.example.org/in/Patient.ndjson");
		assertThat(listedExport.path("request").asText()).isEqualTo(RestfulServerClient.BASE + "/Patient/{id}/$export");
		// and: the detail shows the kick-off as it came, still without the source's secrets
		assertThat(importDetail.toString()).doesNotContain("s3cr3t", "X-Amz", "user:pw");
		assertThat(exportDetail.path("request").asText()).contains("pat-secret-1", "pat-secret-2");
		// and: every list read is in the audit log, one is stored for this client
		assertThat(log.list.stream().map(ILoggingEvent::getFormattedMessage)
				.filter(line -> line.contains("\"admin-jobs-listed\"") && line.contains("\"list-reader\""))).hasSize(3);
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(auditEvents(AuditAction.ADMIN_JOBS_LISTED))
				.filteredOn(event -> event.getAgentFirstRep().getWho().getIdentifier().getValue().equals("list-reader"))
				.hasSize(1));
		assertThat(auditEvents(AuditAction.ADMIN_JOB_VIEWED))
				.filteredOn(event -> event.getAgentFirstRep().getWho().getIdentifier().getValue().equals("list-reader"))
				.hasSize(2);
	}

	// helpers

	private List<AuditEvent> auditEvents(AuditAction action) {
		return daoRegistry.getResourceDao(AuditEvent.class).search(SearchParameterMap.newSynchronous(),
						new SystemRequestDetails()).getAllResources().stream().map(AuditEvent.class::cast)
				.filter(event -> event.getSubtype().stream().anyMatch(coding -> BulkAudit.SUBTYPE_SYSTEM.equals(coding.getSystem())
						&& action.code().equals(coding.getCode())))
				.toList();
	}

	private void awaitState(String jobId, BulkJobState state) {
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
				.until(() -> table.find(jobId).orElseThrow().state() == state);
	}

	private static BulkJob row(String id, BulkJobKind kind, BulkJobState state, Instant created) {
		return new BulkJob(id, kind, state, "someone", RestfulServerClient.BASE + "/$import", "{}", created, created,
				created.plusSeconds(86400 * 365 * 100L), null, 0, 0, null, "reason", new StatusOptions(false, false, null));
	}

	private static List<String> texts(JsonNode array, String field) {
		List<String> texts = new ArrayList<>();
		array.forEach(node -> texts.add(node.path(field).asText()));
		return texts;
	}

	private static JsonNode json(RestfulServerClient.Answer answer) throws Exception {
		assertThat(answer.status()).as(answer.body()).isEqualTo(200);
		assertThat(answer.contentType()).isEqualTo("application/json");
		return JSON.readTree(answer.body());
	}

	private static String[] bearer(String token) {
		return new String[] {"Authorization", "Bearer " + token};
	}

	private String token(String clientId, String scope) throws Exception {
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(KEY.getKeyID()).build(),
				new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(TOKEN_URL)
						.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString())
						.build());
		jwt.sign(new RSASSASigner(KEY));
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/fhir/auth/token");
		request.setServletPath("/fhir");
		request.setPathInfo("/auth/token");
		request.setContentType("application/x-www-form-urlencoded");
		request.addParameter("grant_type", "client_credentials");
		request.addParameter("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		request.addParameter("client_assertion", jwt.serialize());
		request.addParameter("scope", scope);
		MockHttpServletResponse response = new MockHttpServletResponse();
		server.service(request, response);
		assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
		return JSON.readTree(response.getContentAsString()).path("access_token").asText();
	}

	private static RSAKey generateKey() {
		try {
			return new RSAKeyGenerator(2048).keyID("k1").generate();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}
}
