package hapibulk.auth;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
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
import java.util.Date;
import java.util.HashMap;
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
				() -> "system/Patient.rs system/Condition.rs system/Observation.rs system/Group.rs");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "flooder");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/Patient.rs");
		// 25.5: a client whose JWKS host sends no cache headers, and one whose host does not answer in time
		registry.add("hapi.bulk.auth.clients[2].client-id", () -> "uncached-keys");
		registry.add("hapi.bulk.auth.clients[2].jwks-url", () -> JWKS_HOSTS.url("/uncached"));
		registry.add("hapi.bulk.auth.clients[2].scopes", () -> "system/Patient.rs");
		registry.add("hapi.bulk.auth.clients[3].client-id", () -> "slow-keys");
		registry.add("hapi.bulk.auth.clients[3].jwks-url", () -> JWKS_HOSTS.url("/slow"));
		registry.add("hapi.bulk.auth.clients[3].scopes", () -> "system/Patient.rs");
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
	MeterRegistry meterRegistry;

	String groupId;

	@BeforeAll
	void startServer() throws Exception {
		server.registerProviders(resourceProviders.createProviders());
		server.init(new MockServletConfig("fhir"));
		SystemRequestDetails system = new SystemRequestDetails();
		Patient patient = new Patient();
		patient.addName(new HumanName().setFamily("Doe"));
		String patientId = daoRegistry.getResourceDao(Patient.class).create(patient, system).getId().toUnqualifiedVersionless()
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

	// helpers

	private String accessToken(String scope) throws Exception {
		MockHttpServletResponse response = token(assertion("analytics", TOKEN_URL), scope, "localhost",
				"10.2.0." + Math.abs(scope.hashCode() % 250));
		assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
		return json(response).path("access_token").asText();
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
}
