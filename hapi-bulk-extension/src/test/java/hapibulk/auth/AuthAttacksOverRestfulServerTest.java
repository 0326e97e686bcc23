package hapibulk.auth;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.rest.param.TokenParam;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobStateListener;
import hapibulk.job.BulkJobTable;
import hapibulk.job.StatusOptions;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Meta;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobInstance;
import org.springframework.batch.core.JobParametersBuilder;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.util.UrlUtil;
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
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockServletConfig;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The attacks on authorization, sent as HTTP requests through the host's real {@link RestfulServer}
 * (HAPI JPA over H2, our interceptors and providers as registered in a host) in mode smart with
 * {@code hapi.bulk.server-base-url} set. The requests come in as a servlet container hands them over
 * (the {@code Host} header is what the container derives the request URL from), without a socket.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class,
		AuthAttacksOverRestfulServerTest.Meters.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthAttacksOverRestfulServerTest {

	static final String BASE = "https://fhir.example.org/fhir";
	static final String TOKEN_URL = BASE + "/auth/token";
	static final String FORGED_HOST = "attacker.example";
	static final RSAKey KEY = generateKey();
	static final ObjectMapper JSON = new ObjectMapper();
	static final Path FILES = tempDirectory();
	static final Path IMPORTS = tempDirectory();
	static final JwksHosts JWKS_HOSTS = JwksHosts.start(new JWKSet(KEY.toPublicJWK()).toString());

	/** A registry for the extension's meters, as a host with Actuator has. */
	@Configuration(proxyBeanMethods = false)
	static class Meters {
		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws Exception {
		registry.add("hapi.bulk.file-directory", FILES::toString);
		registry.add("hapi.bulk.export.max-running-exports", () -> "20");
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.server-base-url", () -> BASE);
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		String jwks = new JWKSet(KEY.toPublicJWK()).toString();
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> "analytics");
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[0].scopes",
				() -> "system/Patient.rs system/Condition.rs system/Observation.cruds system/Group.rs");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "flooder");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/Patient.rs");
		registry.add("hapi.bulk.auth.clients[2].client-id", () -> "auditor");
		registry.add("hapi.bulk.auth.clients[2].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[2].scopes", () -> "system/*.* system/bulk-audit");
		registry.add("hapi.bulk.import.directory", IMPORTS::toString);
		// 25.5: a client whose JWKS host sends no cache headers, and one whose host does not answer in time
		registry.add("hapi.bulk.auth.clients[3].client-id", () -> "uncached-keys");
		registry.add("hapi.bulk.auth.clients[3].jwks-url", () -> JWKS_HOSTS.url("/uncached"));
		registry.add("hapi.bulk.auth.clients[3].scopes", () -> "system/Patient.rs");
		registry.add("hapi.bulk.auth.clients[4].client-id", () -> "slow-keys");
		registry.add("hapi.bulk.auth.clients[4].jwks-url", () -> JWKS_HOSTS.url("/slow"));
		registry.add("hapi.bulk.auth.clients[4].scopes", () -> "system/Patient.rs");
		// The default; a loaded machine's first HttpClient connection needs some of it.
		registry.add("hapi.bulk.auth.token-limits.jwks-fetch-timeout", () -> "3s");
		registry.add("hapi.bulk.auth.token-limits.per-client-per-minute", () -> "40");
		registry.add("hapi.bulk.auth.token-limits.per-address-per-minute", () -> "1000");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	ResourceProviderFactory resourceProviders;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	JpaSystemProvider<Bundle, Meta> systemProvider;
	@Autowired
	BulkJobTable jobTable;
	@Autowired
	BulkJobStateListener jobStateListener;
	@Autowired
	MeterRegistry meterRegistry;

	String groupId;
	String patientId;

	@BeforeAll
	void startServer() throws Exception {
		server.registerProviders(resourceProviders.createProviders());
		// transactions, batches and system history
		server.registerProvider(systemProvider);
		server.init(new MockServletConfig("fhir"));
		SystemRequestDetails system = new SystemRequestDetails();
		Patient patient = new Patient();
		patient.addName(new HumanName().setFamily("Doe"));
		patientId = daoRegistry.getResourceDao(Patient.class).create(patient, system).getId().toUnqualifiedVersionless()
				.getValue();
		Condition condition = new Condition();
		condition.setSubject(new Reference(patientId));
		condition.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "44054006", "Diabetes")));
		daoRegistry.getResourceDao(Condition.class).create(condition, system);
		Observation observation = new Observation();
		observation.setSubject(new Reference(patientId));
		observation.setStatus(Observation.ObservationStatus.FINAL);
		observation.setCode(new CodeableConcept(new Coding("http://loinc.org", "8867-4", "Heart rate")));
		daoRegistry.getResourceDao(Observation.class).create(observation, system);
		Group group = new Group();
		group.setType(Group.GroupType.PERSON).setActual(true);
		group.addMember().setEntity(new Reference(patientId));
		groupId = daoRegistry.getResourceDao(Group.class).create(group, system).getId().getIdPart();
		// matched by the inline match URLs of the 25.1 tests (Doe stays the only match of the search tests)
		Patient roe = new Patient();
		roe.addName(new HumanName().setFamily("Roe"));
		daoRegistry.getResourceDao(Patient.class).create(roe, system);
	}

	// 16.2: aud and every URL handed out

	@Test
	void token_assertionForAnotherServer_withForgedHost_isRefused() throws Exception {
		// given: an assertion made for another server's token URL, replayed here with that server's Host
		String assertion = assertion("analytics", "https://" + FORGED_HOST + "/fhir/auth/token");

		// when
		MockHttpServletResponse response = token(assertion, "system/Patient.rs", FORGED_HOST, "10.0.0.1");

		// then
		assertThat(response.getStatus()).isEqualTo(401);
		assertThat(json(response).path("error").asText()).isEqualTo("invalid_client");
		assertThat(json(response).path("error_description").asText()).contains(TOKEN_URL);
	}

	@Test
	void token_assertionForTheConfiguredTokenUrl_isAccepted_whateverTheHost() throws Exception {
		// given / when
		MockHttpServletResponse response = token(assertion("analytics", TOKEN_URL), "system/Patient.rs", FORGED_HOST,
				"10.0.0.2");

		// then
		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(json(response).path("access_token").asText()).isNotEmpty();
	}

	@Test
	void smartConfiguration_ignoresForgedHost_andIsNotStored() throws Exception {
		// given / when
		MockHttpServletResponse response = send(request("GET", "/.well-known/smart-configuration", null, FORGED_HOST));

		// then
		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(json(response).path("token_endpoint").asText()).isEqualTo(TOKEN_URL);
		assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
	}

	@Test
	void capabilityStatement_oauthTokenUri_ignoresForgedHost() throws Exception {
		// given / when
		MockHttpServletResponse response = send(request("GET", "/metadata", null, FORGED_HOST));

		// then
		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(response.getContentAsString()).contains(TOKEN_URL).doesNotContain(FORGED_HOST);
	}

	@Test
	void exportKickOff_statusAndFileUrls_ignoreForgedHost() throws Exception {
		// given
		String token = accessToken("system/Patient.rs");

		// when
		MockHttpServletResponse kickOff = export("/$export", "_type=Patient", token);
		String statusUrl = kickOff.getHeader("Content-Location");
		MockHttpServletResponse status = awaitManifest(statusUrl, token);

		// then
		assertThat(kickOff.getStatus()).isEqualTo(202);
		assertThat(statusUrl).startsWith(BASE + "/$bulk-status?job=");
		assertThat(json(status).path("output").get(0).path("url").asText()).startsWith(BASE + "/$bulk-file?job=");
		assertThat(status.getContentAsString()).doesNotContain("\"url\":\"https://" + FORGED_HOST);
	}

	// 16.4: inference through search parameters

	@Test
	void search_hasReachingAnUnreadableType_is403() throws Exception {
		// given: a token that reads Patient only
		String token = accessToken("system/Patient.rs");

		// when
		MockHttpServletResponse response = get("/Patient", "_has:Condition:patient:code=44054006", token);

		// then
		assertThat(response.getStatus()).isEqualTo(403);
		assertThat(response.getContentAsString()).contains("OperationOutcome").contains("BULK-0340").contains("Condition");
	}

	@Test
	void search_hasReachingAReadableType_isAllowed() throws Exception {
		// given
		String token = accessToken("system/Patient.rs system/Condition.rs");

		// when
		MockHttpServletResponse response = get("/Patient", "_has:Condition:patient:code=44054006", token);

		// then: found, and HAPI's own links (which a client follows with its token) ignore the forged Host
		assertThat(response.getStatus()).isEqualTo(200);
		assertThat(json(response).path("entry")).hasSize(1);
		assertThat(json(response).path("link").get(0).path("url").asText()).startsWith(BASE + "/Patient");
		assertThat(response.getContentAsString()).doesNotContain(FORGED_HOST);
	}

	@Test
	void search_chainWithTypeModifierIntoUnreadableType_is403_andAllowedWithItsScope() throws Exception {
		// given / when
		MockHttpServletResponse refused = get("/Observation", "subject:Patient.name=Doe", accessToken("system/Observation.rs"));
		MockHttpServletResponse allowed = get("/Observation", "subject:Patient.name=Doe",
				accessToken("system/Observation.rs system/Patient.rs"));

		// then
		assertThat(refused.getStatus()).isEqualTo(403);
		assertThat(refused.getContentAsString()).contains("Patient");
		assertThat(allowed.getStatus()).isEqualTo(200);
		assertThat(json(allowed).path("entry")).hasSize(1);
	}

	@Test
	void search_chainWithoutTypeModifier_reachesEveryTargetOfTheParameter() throws Exception {
		// given: Observation.subject may point to Patient, Group, Device, Location...; Patient alone is not enough
		String token = accessToken("system/Observation.rs system/Patient.rs");

		// when
		MockHttpServletResponse response = get("/Observation", "subject.name=Doe", token);

		// then
		assertThat(response.getStatus()).isEqualTo(403);
		assertThat(response.getContentAsString()).contains("Group");
	}

	@Test
	void search_revincludeOfUnreadableType_is403() throws Exception {
		// given / when
		MockHttpServletResponse response = get("/Patient", "_revinclude=Condition:subject", accessToken("system/Patient.rs"));

		// then
		assertThat(response.getStatus()).isEqualTo(403);
		assertThat(response.getContentAsString()).contains("BULK-0340");
	}

	@Test
	void export_typeFilterWithHasIntoUnreadableType_is403_andAllowedWithItsScope() throws Exception {
		// given
		String filter = "_type=Patient&_typeFilter=" + UrlUtil.escapeUrlParam("Patient?_has:Condition:patient:code=44054006");

		// when
		MockHttpServletResponse refused = export("/$export", filter, accessToken("system/Patient.rs"));
		MockHttpServletResponse allowed = export("/$export", filter, accessToken("system/Patient.rs system/Condition.rs"));

		// then
		assertThat(refused.getStatus()).isEqualTo(403);
		assertThat(refused.getContentAsString()).contains("BULK-0341").contains("Condition");
		assertThat(allowed.getStatus()).isEqualTo(202);
	}

	// 16.7: Group export needs Group read

	@Test
	void groupExport_withoutGroupRead_is403_withIt202() throws Exception {
		// given / when
		MockHttpServletResponse refused = export("/Group/" + groupId + "/$export", "_type=Patient",
				accessToken("system/Patient.rs"));
		MockHttpServletResponse allowed = export("/Group/" + groupId + "/$export", "_type=Patient",
				accessToken("system/Patient.rs system/Group.rs"));

		// then
		assertThat(refused.getStatus()).isEqualTo(403);
		assertThat(refused.getContentAsString()).contains("BULK-0342");
		assertThat(allowed.getStatus()).isEqualTo(202);
	}

	// 15.7: scopes on download and status

	@Test
	void download_byTheOwnClientWithNarrowedScopes_is403_andManifestHidesTheFile() throws Exception {
		// given: a finished export of Patient and Observation
		String wide = accessToken("system/Patient.rs system/Observation.rs");
		String statusUrl = export("/$export", "_type=Patient,Observation", wide).getHeader("Content-Location");
		JsonNode manifest = json(awaitManifest(statusUrl, wide));
		String patientFile = null;
		for (JsonNode output : manifest.path("output")) {
			if (output.path("type").asText().equals("Patient")) {
				patientFile = output.path("url").asText();
			}
		}
		assertThat(patientFile).isNotNull();

		// when: the same client, re-authorized with Observation only
		String narrow = accessToken("system/Observation.rs");
		MockHttpServletResponse download = send(request("GET", path(patientFile), query(patientFile), FORGED_HOST, narrow));
		MockHttpServletResponse status = send(request("GET", path(statusUrl), query(statusUrl), FORGED_HOST, narrow));
		MockHttpServletResponse wideDownload = send(request("GET", path(patientFile), query(patientFile), FORGED_HOST, wide));

		// then
		assertThat(download.getStatus()).isEqualTo(403);
		assertThat(download.getContentAsString()).contains("BULK-0343");
		assertThat(status.getStatus()).isEqualTo(200);
		assertThat(json(status).path("output")).hasSize(1);
		assertThat(json(status).path("output").get(0).path("type").asText()).isEqualTo("Observation");
		assertThat(wideDownload.getStatus()).isEqualTo(200);
	}

	// 15.8 and 16.8: the token endpoint

	@Test
	void token_emptyScope_isInvalidScope() throws Exception {
		// given / when
		MockHttpServletResponse response = token(assertion("analytics", TOKEN_URL), "", "localhost", "10.0.0.3");

		// then
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(json(response).path("error").asText()).isEqualTo("invalid_scope");
	}

	@Test
	void token_assertionsOnlyNamingAClient_leaveItsBudget_whileItsOwnFloodGets429() throws Exception {
		// given: 40 token requests a minute for a client, counted in one-minute windows: start early in one
		awaitEarlyInAMinute();
		// and: 45 assertions naming it, signed with a key it does not have (anyone can name a client)
		for (int i = 0; i < 45; i++) {
			MockHttpServletResponse forged = token(assertion("flooder", TOKEN_URL, "unknown-kid"), "system/Patient.rs",
					"localhost", "10.1.0." + i);
			assertThat(forged.getStatus()).as("forged assertion %d", i).isEqualTo(401);
		}

		// when: the client itself asks 41 times
		int issued = 0;
		MockHttpServletResponse last = null;
		for (int i = 0; i < 41; i++) {
			last = token(assertion("flooder", TOKEN_URL), "system/Patient.rs", "localhost", "10.1.1." + i);
			if (last.getStatus() == 200) {
				issued++;
			}
		}

		// then: the forged ones used none of its budget; past it, 429 with the wait
		assertThat(issued).isEqualTo(40);
		assertThat(last.getStatus()).isEqualTo(429);
		assertThat(Long.parseLong(last.getHeader("Retry-After"))).isBetween(1L, 60L);
	}

	// 25.5: JWKS fetches are bounded whatever the client's host sends, and never hold a request

	@Test
	void token_thirtyRequests_againstAJwksHostWithoutCacheHeaders_fetchItOnce_andTheMeterCountsIt() throws Exception {
		// given: 30 token requests naming a client whose JWKS URL answers without Cache-Control: 10 good assertions,
		// 10 with the right kid but a forged signature, 10 with an invented kid
		RSAKey forger = new RSAKeyGenerator(2048).keyID(KEY.getKeyID()).generate();
		int issued = 0;
		for (int i = 0; i < 30; i++) {
			String assertion = switch (i % 3) {
				case 0 -> assertion("uncached-keys", TOKEN_URL);
				case 1 -> assertion("uncached-keys", TOKEN_URL, KEY.getKeyID(), forger);
				default -> assertion("uncached-keys", TOKEN_URL, "invented-" + i);
			};

			// when
			MockHttpServletResponse response = token(assertion, "system/Patient.rs", "localhost", "10.5.0." + i);

			// then: the good ones get tokens from the copy at hand, the others are refused
			assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(i % 3 == 0 ? 200 : 401);
			issued += response.getStatus() == 200 ? 1 : 0;
		}

		// then: one fetch in the interval (60 s), and the meter says so
		assertThat(issued).isEqualTo(10);
		assertThat(JWKS_HOSTS.uncachedFetches.get()).isEqualTo(1);
		assertThat(meterRegistry.get("hapi.bulk.jwks.fetches").tag("outcome", "success").counter().count()).isEqualTo(1);
	}

	@Test
	void token_ofAClientWhoseJwksHostHangs_isRefusedWithinTheFetchTimeout() throws Exception {
		// given: a JWKS host that answers after 20 s; the fetch timeout is 3 s
		long start = System.nanoTime();

		// when
		MockHttpServletResponse response = token(assertion("slow-keys", TOKEN_URL), "system/Patient.rs", "localhost",
				"10.5.1.1");

		// then
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
		assertThat(response.getStatus()).isEqualTo(401);
		assertThat(json(response).path("error").asText()).isEqualTo("invalid_client");
		assertThat(meterRegistry.get("hapi.bulk.jwks.fetches").tag("outcome", "failure").counter().count())
				.isGreaterThanOrEqualTo(1);
	}

	@AfterAll
	void stopJwksHosts() {
		JWKS_HOSTS.server().stop(0);
	}

	/** The client JWKS hosts of 25.5: {@code /uncached} (no Cache-Control) and {@code /slow} (20 s late). */
	record JwksHosts(HttpServer server, AtomicInteger uncachedFetches) {

		static JwksHosts start(String jwks) {
			try {
				HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
				server.setExecutor(Executors.newCachedThreadPool(runnable -> {
					Thread thread = new Thread(runnable, "test-jwks-host");
					thread.setDaemon(true);
					return thread;
				}));
				AtomicInteger fetches = new AtomicInteger();
				byte[] body = jwks.getBytes(StandardCharsets.UTF_8);
				server.createContext("/uncached", exchange -> {
					fetches.incrementAndGet();
					exchange.getResponseHeaders().add("Content-Type", "application/json");
					exchange.sendResponseHeaders(200, body.length);
					try (OutputStream out = exchange.getResponseBody()) {
						out.write(body);
					}
				});
				server.createContext("/slow", exchange -> {
					try {
						Thread.sleep(20_000);
					} catch (InterruptedException e) {
						Thread.currentThread().interrupt();
					}
					exchange.sendResponseHeaders(200, body.length);
					try (OutputStream out = exchange.getResponseBody()) {
						out.write(body);
					}
				});
				server.start();
				return new JwksHosts(server, fetches);
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}

		String url(String path) {
			return "http://127.0.0.1:" + server.getAddress().getPort() + path;
		}
	}

	/** Waits for the next minute if this one is nearly over (the limiter's windows are calendar minutes). */
	private static void awaitEarlyInAMinute() throws InterruptedException {
		long intoMinute = System.currentTimeMillis() % 60_000;
		if (intoMinute > 50_000) {
			Thread.sleep(60_000 - intoMinute + 200);
		}
	}

	// issue 25.1: inline match URLs (Type?params in a reference) search their type as the client

	@Test
	void inlineMatchUrl_inACreate_withoutReadOnItsType_is403_whetherOrNotAPatientMatches_andNothingIsStored()
			throws Exception {
		// given: a client that may create and read Observations only
		String token = accessToken("system/Observation.cr");
		int before = observationCount();

		// when: Observations whose subject is a match URL, one matching a stored Patient, one matching none
		MockHttpServletResponse matching = write("POST", "/Observation", observation("Patient?family=Roe"), token);
		MockHttpServletResponse unmatched = write("POST", "/Observation", observation("Patient?family=Nobody"), token);

		// then: the same answer for both, and nothing stored
		assertThat(matching.getStatus()).isEqualTo(403);
		assertThat(unmatched.getStatus()).isEqualTo(403);
		assertThat(matching.getContentAsString()).contains("BULK-0344").contains("Patient");
		assertThat(unmatched.getContentAsString()).contains("BULK-0344");
		assertThat(observationCount()).isEqualTo(before);
	}

	@Test
	void inlineMatchUrl_inACreate_withReadOnItsType_isResolved() throws Exception {
		// when
		MockHttpServletResponse created = write("POST", "/Observation", observation("Patient?family=Roe"),
				accessToken("system/Observation.cr system/Patient.rs"));

		// then
		assertThat(created.getStatus()).as(created.getContentAsString()).isEqualTo(201);
		assertThat(json(created).path("subject").path("reference").asText()).startsWith("Patient/")
				.doesNotContain("?");
	}

	@Test
	void inlineMatchUrl_reachingFurtherThroughAChain_needsReadOnThoseTypesToo() throws Exception {
		// given: Patient may be read, but the match URL's _has looks into Condition
		String token = accessToken("system/Observation.cr system/Patient.rs");

		// when
		MockHttpServletResponse refused = write("POST", "/Observation",
				observation("Patient?_has:Condition:patient:code=44054006"), token);

		// then
		assertThat(refused.getStatus()).isEqualTo(403);
		assertThat(refused.getContentAsString()).contains("BULK-0344").contains("Condition");
	}

	@Test
	void inlineMatchUrl_inAnUpdateAndAPatch_is403() throws Exception {
		// given: a stored Observation and a client that may change Observations but not read Patients
		String token = accessToken("system/Observation.cru");
		MockHttpServletResponse created = write("POST", "/Observation", observation(null), token);
		assertThat(created.getStatus()).isEqualTo(201);
		String id = json(created).path("id").asText();

		// when
		MockHttpServletResponse put = write("PUT", "/Observation/" + id,
				observation("Patient?family=Roe").replace("{\"resourceType\":\"Observation\",",
						"{\"resourceType\":\"Observation\",\"id\":\"" + id + "\","), token);
		MockHttpServletRequest patchRequest = request("PATCH", "/Observation/" + id, null, FORGED_HOST, token);
		patchRequest.setContentType("application/json-patch+json");
		patchRequest.setContent(("[{\"op\":\"add\",\"path\":\"/subject\",\"value\":{\"reference\":"
				+ "\"Patient?family=Roe\"}}]").getBytes(StandardCharsets.UTF_8));
		MockHttpServletResponse patch = send(patchRequest);

		// then
		assertThat(put.getStatus()).isEqualTo(403);
		assertThat(put.getContentAsString()).contains("BULK-0344");
		assertThat(patch.getStatus()).isEqualTo(403);
		assertThat(patch.getContentAsString()).contains("BULK-0344");
		MockHttpServletResponse read = get("/Observation/" + id, null, token);
		assertThat(json(read).path("subject").isMissingNode()).isTrue();
	}

	@Test
	void transaction_inlineMatchUrlsConditionalUrlsAndGetEntries_reachingUnreadableTypes_are403() throws Exception {
		// given: a client that may create and read Observations and read Patients, not Conditions
		String token = accessToken("system/Observation.cr system/Patient.rs");
		int before = observationCount();
		String inline = transaction("{\"resource\":" + observation("Group?name=Cohort")
				+ ",\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}");
		String conditional = transaction("{\"resource\":" + observation(null) + ",\"request\":{\"method\":\"POST\","
				+ "\"url\":\"Observation\",\"ifNoneExist\":\"encounter.status=finished\"}}");
		String getEntry = transaction("{\"resource\":" + observation(null) + ",\"request\":{\"method\":\"POST\","
				+ "\"url\":\"Observation\"}},{\"request\":{\"method\":\"GET\","
				+ "\"url\":\"Patient?_has:Condition:patient:code=44054006\"}}");

		// when
		MockHttpServletResponse inlineAnswer = write("POST", "/", inline, token);
		MockHttpServletResponse conditionalAnswer = write("POST", "/", conditional, token);
		MockHttpServletResponse getAnswer = write("POST", "/", getEntry, token);

		// then
		assertThat(inlineAnswer.getStatus()).as(inlineAnswer.getContentAsString()).isEqualTo(403);
		assertThat(inlineAnswer.getContentAsString()).contains("BULK-0344").contains("Group");
		assertThat(conditionalAnswer.getStatus()).as(conditionalAnswer.getContentAsString()).isEqualTo(403);
		assertThat(conditionalAnswer.getContentAsString()).contains("BULK-0340").contains("Encounter");
		assertThat(getAnswer.getStatus()).as(getAnswer.getContentAsString()).isEqualTo(403);
		assertThat(getAnswer.getContentAsString()).contains("BULK-0340").contains("Condition");
		assertThat(observationCount()).isEqualTo(before);
	}

	@Test
	void transaction_inlineMatchUrlOfAReadableType_isResolved() throws Exception {
		// when
		MockHttpServletResponse answer = write("POST", "/", transaction("{\"resource\":" + observation("Patient?family=Roe")
				+ ",\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}"),
				accessToken("system/Observation.cr system/Patient.rs"));

		// then
		assertThat(answer.getStatus()).as(answer.getContentAsString()).isEqualTo(200);
	}

	// issue 25.10: probing ids through export kick-offs

	@Test
	void groupExport_withoutGroupRead_answersTheSame_forAStoredAndAnUnknownGroup() throws Exception {
		// given
		String token = accessToken("system/Patient.rs");

		// when
		MockHttpServletResponse stored = export("/Group/" + groupId + "/$export", "_type=Patient", token);
		MockHttpServletResponse unknown = export("/Group/no-such-group/$export", "_type=Patient", token);

		// then
		assertThat(stored.getStatus()).isEqualTo(403);
		assertThat(unknown.getStatus()).isEqualTo(403);
		assertThat(diagnostics(unknown)).isEqualTo(diagnostics(stored)).startsWith("BULK-0342");
	}

	@Test
	void patientExport_withoutPatientRead_answersTheSame_forAStoredAndAnUnknownPatient() throws Exception {
		// given: a client that reads Observations, not Patients
		String token = accessToken("system/Observation.rs");

		// when: Patient/[id]/$export and the patient parameter, for a stored and an unknown patient
		MockHttpServletResponse stored = export("/" + patientId + "/$export", "_type=Observation", token);
		MockHttpServletResponse unknown = export("/Patient/no-such-patient/$export", "_type=Observation", token);
		MockHttpServletResponse storedParameter = export("/Patient/$export",
				"_type=Observation&patient=" + patientId, token);
		MockHttpServletResponse unknownParameter = export("/Patient/$export",
				"_type=Observation&patient=Patient/no-such-patient", token);

		// then
		for (MockHttpServletResponse response : List.of(stored, unknown, storedParameter, unknownParameter)) {
			assertThat(response.getStatus()).isEqualTo(403);
			assertThat(diagnostics(response)).startsWith("BULK-0346");
		}
		assertThat(diagnostics(unknown)).isEqualTo(diagnostics(stored));
		assertThat(diagnostics(unknownParameter)).isEqualTo(diagnostics(storedParameter));
	}

	private String observation(String subject) {
		return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"probe\"}"
				+ (subject == null ? "" : ",\"subject\":{\"reference\":\"" + subject + "\"}") + "}";
	}

	private static String transaction(String entries) {
		return "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + entries + "]}";
	}

	private int observationCount() {
		return daoRegistry.getResourceDao(Observation.class)
				.search(ca.uhn.fhir.jpa.searchparam.SearchParameterMap.newSynchronous(), new SystemRequestDetails())
				.size();
	}

	private MockHttpServletResponse write(String method, String path, String body, String token) throws Exception {
		MockHttpServletRequest request = request(method, path, null, FORGED_HOST, token);
		request.setContentType("application/fhir+json");
		request.setContent(body.getBytes(StandardCharsets.UTF_8));
		return send(request);
	}

	private static String diagnostics(MockHttpServletResponse response) throws Exception {
		return json(response).path("issue").get(0).path("diagnostics").asText();
	}

	// helpers

	/** Tokens by scope, reused: the client gets 40 a minute, and the tests together ask more often than that. */
	private final Map<String, String> tokens = new HashMap<>();

	private String accessToken(String scope) throws Exception {
		String cached = tokens.get(scope);
		if (cached != null) {
			return cached;
		}
		MockHttpServletResponse response = token(assertion("analytics", TOKEN_URL), scope, "localhost",
				"10.2.0." + Math.abs(scope.hashCode() % 250));
		assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
		tokens.put(scope, json(response).path("access_token").asText());
		return tokens.get(scope);
	}

	private MockHttpServletResponse token(String assertion, String scope, String host, String address) throws Exception {
		MockHttpServletRequest request = request("POST", "/auth/token", null, host);
		request.setRemoteAddr(address);
		request.setContentType("application/x-www-form-urlencoded");
		request.addParameter("grant_type", "client_credentials");
		request.addParameter("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		request.addParameter("client_assertion", assertion);
		request.addParameter("scope", scope);
		return send(request);
	}

	private MockHttpServletResponse get(String path, String query, String token) throws Exception {
		return send(request("GET", path, query, FORGED_HOST, token));
	}

	private MockHttpServletResponse export(String path, String query, String token) throws Exception {
		MockHttpServletRequest request = request("GET", path, query, FORGED_HOST, token);
		request.addHeader("Accept", "application/fhir+json");
		request.addHeader("Prefer", "respond-async");
		return send(request);
	}

	private MockHttpServletResponse awaitManifest(String statusUrl, String token) {
		MockHttpServletResponse[] last = new MockHttpServletResponse[1];
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
			last[0] = send(request("GET", path(statusUrl), query(statusUrl), FORGED_HOST, token));
			return last[0].getStatus() == 200;
		});
		return last[0];
	}

	private static String path(String url) {
		String rest = url.substring(BASE.length());
		return rest.contains("?") ? rest.substring(0, rest.indexOf('?')) : rest;
	}

	private static String query(String url) {
		return url.contains("?") ? url.substring(url.indexOf('?') + 1) : null;
	}

	private static MockHttpServletRequest request(String method, String path, String query, String host, String token) {
		MockHttpServletRequest request = request(method, path, query, host);
		request.addHeader("Authorization", "Bearer " + token);
		return request;
	}

	/** A request as the container hands it over when the client sent {@code Host: host}. */
	private static MockHttpServletRequest request(String method, String path, String query, String host) {
		MockHttpServletRequest request = new MockHttpServletRequest(method, "/fhir" + path);
		request.setScheme("https");
		request.setServerName(host);
		request.setServerPort(443);
		request.setSecure(true);
		request.addHeader("Host", host);
		request.setServletPath("/fhir");
		request.setPathInfo(path);
		if (query != null) {
			request.setQueryString(query);
			Map<String, String[]> parameters = new HashMap<>(UrlUtil.parseQueryString(query));
			parameters.forEach(request::addParameter);
		}
		return request;
	}

	private MockHttpServletResponse send(MockHttpServletRequest request) throws Exception {
		MockHttpServletResponse response = new MockHttpServletResponse();
		server.service(request, response);
		return response;
	}

	private static JsonNode json(MockHttpServletResponse response) throws Exception {
		return JSON.readTree(response.getContentAsString());
	}

	private static String assertion(String client, String audience) throws Exception {
		return assertion(client, audience, KEY.getKeyID());
	}

	private static String assertion(String client, String audience, String kid) throws Exception {
		return assertion(client, audience, kid, KEY);
	}

	private static String assertion(String client, String audience, String kid, RSAKey key) throws Exception {
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(kid).build(),
				new JWTClaimsSet.Builder().issuer(client).subject(client).audience(audience)
						.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString())
						.build());
		jwt.sign(new RSASSASigner(key));
		return jwt.serialize();
	}

	private static RSAKey generateKey() {
		try {
			return new RSAKeyGenerator(2048).keyID("k1").generate();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private static Path tempDirectory() {
		try {
			return Files.createTempDirectory("hapi-bulk-auth-test");
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	// Issue 25.2: the audit trail is append-only, read only with system/bulk-audit

	@Test
	void auditTrail_writesWithADataWriteScope_are403_directlyAndInATransaction_andChangeNothing() throws Exception {
		// given: an AuditEvent of the server's, and a token that may write every type
		String eventId = storedAuditEvent(null);
		String token = token("auditor", "system/*.write");
		String event = "{\"resourceType\":\"AuditEvent\",\"id\":\"" + eventId + "\",\"recorded\":\"2020-01-01T00:00:00Z\","
				+ "\"type\":{\"code\":\"rest\"},\"agent\":[{\"requestor\":true,\"who\":{\"display\":\"nobody\"}}],"
				+ "\"source\":{\"observer\":{\"display\":\"forged\"}}}";
		String transaction = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":" + event
				+ ",\"request\":{\"method\":\"PUT\",\"url\":\"AuditEvent/" + eventId + "\"}}]}";
		String deleteInTransaction = "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":"
				+ "{\"method\":\"DELETE\",\"url\":\"AuditEvent/" + eventId + "\"}}]}";

		// when
		MockHttpServletResponse put = send(withBody("PUT", "/AuditEvent/" + eventId, event, token));
		MockHttpServletResponse post = send(withBody("POST", "/AuditEvent", event.replace("\"id\":\"" + eventId + "\",", ""),
				token));
		MockHttpServletResponse delete = send(request("DELETE", "/AuditEvent/" + eventId, null, FORGED_HOST, token));
		MockHttpServletResponse conditionalDelete = send(request("DELETE", "/AuditEvent", "_id=" + eventId, FORGED_HOST,
				token));
		MockHttpServletResponse inTransaction = send(withBody("POST", "", transaction, token));
		MockHttpServletResponse deletedInTransaction = send(withBody("POST", "", deleteInTransaction, token));

		// then: each 403 with a BULK code, and the event is as the server wrote it
		for (MockHttpServletResponse response : List.of(put, post, delete, conditionalDelete, inTransaction,
				deletedInTransaction)) {
			assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(403);
			assertThat(response.getContentAsString()).contains("OperationOutcome").contains("BULK-035");
		}
		assertThat(put.getContentAsString()).contains("BULK-0350");
		AuditEvent stored = daoRegistry.getResourceDao(AuditEvent.class).read(new IdType("AuditEvent", eventId),
				new SystemRequestDetails());
		assertThat(stored.getIdElement().getVersionIdPart()).isEqualTo("1");
		assertThat(stored.getSource().getObserver().getDisplay()).isEqualTo("hapi-bulk");
	}

	@Test
	void auditTrail_withADataReadScope_isRefusedOrLeftOut_andTheAuditScopeReadsIt() throws Exception {
		// given: an AuditEvent about a patient
		String patientId = daoRegistry.getResourceDao(Patient.class).create(new Patient().setActive(true),
				new SystemRequestDetails()).getId().getIdPart();
		String eventId = storedAuditEvent("Patient/" + patientId);
		String reader = token("auditor", "system/*.read");
		String auditor = token("auditor", "system/*.read system/bulk-audit");

		// when
		MockHttpServletResponse search = get("/AuditEvent", null, reader);
		MockHttpServletResponse read = get("/AuditEvent/" + eventId, null, reader);
		MockHttpServletResponse history = get("/AuditEvent/" + eventId + "/_history", null, reader);
		MockHttpServletResponse namedRevinclude = get("/Patient", "_id=" + patientId + "&_revinclude=AuditEvent:entity",
				reader);
		MockHttpServletResponse anyRevinclude = get("/Patient", "_id=" + patientId + "&_revinclude=*", reader);
		MockHttpServletResponse systemHistory = get("/_history", "_count=500", reader);
		MockHttpServletResponse auditorSearch = get("/AuditEvent", "_count=500", auditor);
		MockHttpServletResponse auditorRevinclude = get("/Patient", "_id=" + patientId + "&_revinclude=*", auditor);

		// then: named, 403; come along with other resources, left out; for the auditor, there
		for (MockHttpServletResponse refused : List.of(search, read, history)) {
			assertThat(refused.getStatus()).as(refused.getContentAsString()).isEqualTo(403);
			assertThat(refused.getContentAsString()).contains("BULK-0351").contains(ScopeSet.AUDIT_SCOPE);
		}
		assertThat(namedRevinclude.getStatus()).isEqualTo(403);
		assertThat(namedRevinclude.getContentAsString()).contains("BULK-0340").contains("AuditEvent");
		assertThat(anyRevinclude.getStatus()).as(anyRevinclude.getContentAsString()).isEqualTo(200);
		assertThat(anyRevinclude.getContentAsString()).contains("\"Patient\"").doesNotContain("AuditEvent/" + eventId);
		assertThat(systemHistory.getStatus()).as(systemHistory.getContentAsString()).isEqualTo(200);
		assertThat(systemHistory.getContentAsString()).doesNotContain("\"resourceType\":\"AuditEvent\"");
		assertThat(auditorSearch.getStatus()).as(auditorSearch.getContentAsString()).isEqualTo(200);
		assertThat(auditorSearch.getContentAsString()).contains("AuditEvent/" + eventId);
		assertThat(auditorRevinclude.getContentAsString()).contains("AuditEvent/" + eventId);
	}

	@Test
	void export_withoutTheAuditScope_typelessLeavesAuditEventsOut_andTypeAuditEventIs403() throws Exception {
		// given: the audit trail holds events (this one at least)
		storedAuditEvent(null);
		String reader = token("auditor", "system/*.read");

		// when
		MockHttpServletResponse typeless = export("/$export", null, reader);
		MockHttpServletResponse named = export("/$export", "_type=Patient,AuditEvent", reader);
		String auditor = token("auditor", "system/bulk-audit");
		MockHttpServletResponse audited = export("/$export", "_type=AuditEvent", auditor);

		// then
		assertThat(typeless.getStatus()).as(typeless.getContentAsString()).isEqualTo(202);
		JsonNode manifest = json(awaitManifest(typeless.getHeader("Content-Location"), reader));
		List<String> types = new ArrayList<>();
		manifest.path("output").forEach(output -> types.add(output.path("type").asText()));
		assertThat(types).contains("Patient").doesNotContain("AuditEvent");
		assertThat(named.getStatus()).isEqualTo(403);
		assertThat(named.getContentAsString()).contains("BULK-0352").contains(ScopeSet.AUDIT_SCOPE);
		assertThat(audited.getStatus()).as(audited.getContentAsString()).isEqualTo(202);
		JsonNode auditManifest = json(awaitManifest(audited.getHeader("Content-Location"), auditor));
		assertThat(auditManifest.path("output").get(0).path("type").asText()).isEqualTo("AuditEvent");
	}

	@Test
	void import_ofAnAuditEventLine_isAnErrorLine_andStoresNothing() throws Exception {
		// given: an input of AuditEvent lines, and a token that may write every type
		String id = "forged-" + UUID.randomUUID().toString().substring(0, 8);
		Path input = Files.writeString(IMPORTS.resolve(id + ".ndjson"), "{\"resourceType\":\"AuditEvent\",\"id\":\"" + id
				+ "\",\"recorded\":\"2020-01-01T00:00:00Z\",\"type\":{\"code\":\"rest\"}}\n");
		String token = token("auditor", "system/*.write system/*.read");
		MockHttpServletRequest kickOff = withBody("POST", "/$import", "{\"inputFormat\":\"application/fhir+ndjson\","
				+ "\"inputSource\":\"https://ehr.example.org\",\"storageDetail\":{\"type\":\"file\"},\"input\":[{\"type\":"
				+ "\"AuditEvent\",\"url\":\"" + input.toUri() + "\"}]}", token);
		kickOff.setContentType("application/json");
		kickOff.addHeader("Prefer", "respond-async");

		// when
		MockHttpServletResponse accepted = send(kickOff);
		JsonNode manifest = json(awaitManifest(accepted.getHeader("Content-Location"), token));

		// then
		assertThat(accepted.getStatus()).as(accepted.getContentAsString()).isEqualTo(202);
		String errorUrl = manifest.path("error").get(0).path("url").asText();
		String errors = send(request("GET", path(errorUrl), query(errorUrl), FORGED_HOST, token)).getContentAsString();
		assertThat(errors).contains("BULK-0353").contains("AuditEvent/" + id);
		assertThat(daoRegistry.getResourceDao(AuditEvent.class).search(
				new ca.uhn.fhir.jpa.searchparam.SearchParameterMap().add("_id", new TokenParam(id)).setLoadSynchronous(true),
				new SystemRequestDetails()).size()).isZero();
	}

	@Test
	void aFailedJob_isAuditedWithACodeAndItsCorrelationId_notItsInternalReason() {
		// given: a running job that fails on an error whose text holds SQL and a path
		String jobId = "failing-" + UUID.randomUUID();
		Instant now = Instant.now();
		jobTable.insert(new BulkJob(jobId, BulkJobKind.EXPORT, BulkJobState.RUNNING, "analytics", BASE + "/$export", "{}",
				now, now, now.plusSeconds(3600), null, 0, 0, null, null, new StatusOptions(false, false, null)));
		JobExecution execution = new JobExecution(new JobInstance(1L, "bulkExportJob"), 1L,
				new JobParametersBuilder().addString(BulkJobKeys.BULK_JOB_ID, jobId).toJobParameters());
		execution.setStatus(BatchStatus.FAILED);
		execution.addFailureException(new IllegalStateException(
				"ERROR: relation \"hfj_res_ver\" does not exist; SELECT * FROM hfj_res_ver at /var/lib/hapi/secret.db"));

		// when: the job's listener sees it end, as Spring Batch calls it
		jobStateListener.afterJob(execution);

		// then: the AuditEvent says what the status URL says
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(storedAuditEvents("job-failed").stream()
				.filter(event -> details(event).contains(jobId)).toList()).hasSize(1));
		AuditEvent event = storedAuditEvents("job-failed").stream().filter(e -> details(e).contains(jobId)).findFirst()
				.orElseThrow();
		assertThat(details(event)).contains("code=BULK-0202", "correlation-id=" + jobId);
		assertThat(new ca.uhn.fhir.context.FhirContext(ca.uhn.fhir.context.FhirVersionEnum.R4).newJsonParser()
				.encodeResourceToString(event)).doesNotContain("hfj_res_ver", "SELECT", "/var/lib", "IllegalStateException");
	}

	@Test
	void token_everyRefusalReachesTheAuditLog_andOneAuditEventIsStoredPerAddressAndReason() throws Exception {
		// given
		ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
				.getLogger(hapibulk.audit.BulkAudit.LOGGER);
		ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
				new ch.qos.logback.core.read.ListAppender<>();
		log.start();
		logger.addAppender(log);
		String prefix = "10.25." + (int) (Math.random() * 200) + ".";
		try {
			// when: three forged assertions from each of two addresses, and one of another reason
			for (int i = 0; i < 6; i++) {
				assertThat(token(assertion("analytics", TOKEN_URL, "unknown-kid"), "system/Patient.rs", "localhost",
						prefix + (i % 2)).getStatus()).isEqualTo(401);
			}
			assertThat(token(assertion("analytics", "https://elsewhere.example/token"), "system/Patient.rs", "localhost",
					prefix + "0").getStatus()).isEqualTo(401);

			// then: seven log lines; stored, one per address and reason
			assertThat(log.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
					.filter(line -> line.contains("\"token-refused\"") && line.contains(prefix))).hasSize(7);
			await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(storedAuditEvents("token-refused")
					.stream().filter(event -> event.getAgentFirstRep().getNetwork().getAddress().startsWith(prefix)))
					.hasSize(3));
		} finally {
			logger.detachAppender(log);
		}
	}

	private String token(String client, String scope) throws Exception {
		MockHttpServletResponse response = token(assertion(client, TOKEN_URL), scope, "localhost",
				"10.24.0." + Math.abs(scope.hashCode() % 250));
		assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
		return json(response).path("access_token").asText();
	}

	private static MockHttpServletRequest withBody(String method, String path, String body, String token) {
		MockHttpServletRequest request = request(method, path, null, FORGED_HOST, token);
		request.setContentType("application/fhir+json");
		request.addHeader("Content-Type", "application/fhir+json");
		request.setContent(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
		return request;
	}

	/** An AuditEvent as the server stores its own: through the DAO, as the system. */
	private String storedAuditEvent(String about) {
		AuditEvent event = new AuditEvent();
		event.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", null));
		event.setRecorded(new Date());
		event.addAgent().setRequestor(true).getWho().setDisplay("server");
		event.getSource().getObserver().setDisplay("hapi-bulk");
		if (about != null) {
			event.addEntity().setWhat(new Reference(about));
		}
		return daoRegistry.getResourceDao(AuditEvent.class).create(event, new SystemRequestDetails()).getId().getIdPart();
	}

	private List<AuditEvent> storedAuditEvents(String action) {
		return daoRegistry.getResourceDao(AuditEvent.class).search(
						new ca.uhn.fhir.jpa.searchparam.SearchParameterMap().setLoadSynchronous(true), new SystemRequestDetails())
				.getAllResources().stream().map(AuditEvent.class::cast)
				.filter(event -> event.getSubtype().stream().anyMatch(coding -> action.equals(coding.getCode())))
				.toList();
	}

	private static String details(AuditEvent event) {
		return event.getEntity().stream().flatMap(entity -> entity.getDetail().stream())
				.map(detail -> detail.getType() + "=" + detail.getValue().primitiveValue()).toList().toString();
	}
}
