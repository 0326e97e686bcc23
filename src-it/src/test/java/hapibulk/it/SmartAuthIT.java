package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SMART Backend Services end to end against the packaged WAR in mode smart: real client assertions
 * (RS384 with an inline JWKS, ES384 with a JWKS URL this test serves), every refusal rule of the
 * token endpoint, scopes on export kick-offs and the REST API, job ownership, a patient-scoped
 * client, and the audit trail; issue 25's attacks over HTTP (points 1 to 7, and 10); and the start-up window
 * (watched from before the server's process starts).
 */
class SmartAuthIT {

	static final String JSON = "application/fhir+json";

	@TempDir
	static Path workDir;
	static WarProcess server;
	static ItDatabase database;
	/** The clients' side: their JWKS URLs, and an import source. */
	static HttpServer jwksServer;
	static String jwksBase;
	static final AtomicInteger jwksFetches = new AtomicInteger();
	static final AtomicInteger bareJwksFetches = new AtomicInteger();
	static FhirHttp http;
	static String tokenUrl;

	/** system/*.* and system/bulk-audit registered; reads everything, writes the test data, reads the audit trail. */
	static SmartClient admin;
	/** Registered with system/Patient.rs and system/Observation.read only; keys at a JWKS URL. */
	static SmartClient narrow;
	/** system/*.read, bound to Patient p1. */
	static SmartClient patientOne;
	/** Registered key served only at a URL that is not allow-listed. */
	static SmartClient jkuClient;
	/** Registered with system/Patient.read; keys at a JWKS URL whose host sends no cache headers at all. */
	static SmartClient bare;
	/**
	 * The server's token signing key ({@code hapi.bulk.auth.signing-key}), as nodes behind a load balancer share it:
	 * with it the test makes the tokens another node would issue (issue 25.3).
	 */
	static ECKey signingKey;
	/** Issue 25.4: a second start of the WAR, without {@code hapi.bulk.server-base-url}, in the background. */
	static CompletableFuture<WarProcess.Refused> withoutBaseUrl;
	static ItDatabase withoutBaseUrlDatabase;
	/** The start-up window of this IT's server, watched from before its process starts. */
	static StartupWindowWatch startupWindow;

	/** An import source's lines: one stored, one cut short (an error line, so that the job list shows its source). */
	static final String IMPORT_LINES = "{\"resourceType\":\"Organization\",\"id\":\"org-imported\",\"name\":\"Imported\"}\n"
			+ "{\"resourceType\":\"Organization\",\"id\":\"org-cut\",\n";
	/** What a pre-signed source URL carries in its query, and no job list may show. */
	static final String SIGNATURE = "sig-" + UUID.randomUUID();

	@BeforeAll
	static void start() throws Exception {
		admin = SmartClient.rs384("admin-client", "rsa-1");
		narrow = SmartClient.es384("narrow-client", "ec-1");
		patientOne = SmartClient.es384("patient-client", "ec-p1");
		jkuClient = SmartClient.rs384("jku-client", "rsa-jku");
		bare = SmartClient.es384("bare-client", "ec-bare");
		signingKey = new ECKeyGenerator(Curve.P_256).keyID("it-shared-signing-key").generate();
		jwksServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		serve("/narrow-jwks.json", narrow.publicJwks(), "max-age=60", jwksFetches);
		serve("/jku-jwks.json", jkuClient.publicJwks(), "no-store", new AtomicInteger());
		serve("/bare-jwks.json", bare.publicJwks(), null, bareJwksFetches);
		serve("/import/Organization.ndjson", "application/fhir+ndjson", IMPORT_LINES, null, new AtomicInteger());
		jwksServer.start();
		jwksBase = "http://127.0.0.1:" + jwksServer.getAddress().getPort();
		database = ItDatabase.fresh(workDir);
		int port = WarProcess.freePort();
		startupWindow = StartupWindowWatch.start("http://localhost:" + port + "/fhir");
		server = WarProcess.start(workDir, port, database,
				"--hapi.bulk.auth.mode=smart",
				// Mode smart does not start without it (BULK-0360).
				"--hapi.bulk.server-base-url=http://localhost:" + port + "/fhir",
				"--hapi.bulk.auth.signing-key=" + signingKey.toJSONString(),
				"--hapi.bulk.auth.clients[0].client-id=" + admin.clientId(),
				"--hapi.bulk.auth.clients[0].jwks=" + admin.publicJwks(),
				"--hapi.bulk.auth.clients[0].scopes=system/*.* system/bulk-audit system/bulk-admin",
				"--hapi.bulk.auth.clients[1].client-id=" + narrow.clientId(),
				"--hapi.bulk.auth.clients[1].jwks-url=" + jwksBase + "/narrow-jwks.json",
				"--hapi.bulk.auth.clients[1].scopes=system/Patient.rs system/Observation.read",
				"--hapi.bulk.auth.clients[2].client-id=" + patientOne.clientId(),
				"--hapi.bulk.auth.clients[2].jwks=" + patientOne.publicJwks(),
				"--hapi.bulk.auth.clients[2].scopes=system/*.read",
				"--hapi.bulk.auth.clients[2].patient=p1",
				"--hapi.bulk.auth.clients[3].client-id=" + jkuClient.clientId(),
				"--hapi.bulk.auth.clients[3].jwks={\"keys\":[]}",
				"--hapi.bulk.auth.clients[3].scopes=system/Patient.read",
				"--hapi.bulk.auth.clients[4].client-id=" + bare.clientId(),
				"--hapi.bulk.auth.clients[4].jwks-url=" + jwksBase + "/bare-jwks.json",
				"--hapi.bulk.auth.clients[4].scopes=system/Patient.read",
				"--hapi.bulk.import.allowed-sources=" + jwksBase + "/import/",
				"--hapi.bulk.retry-after=1s",
				// Every request of this IT comes from one address and mostly one client: the token endpoint's
				// rate limits (tested in the extension) would otherwise answer 429 part-way.
				"--hapi.bulk.auth.token-limits.per-address-per-minute=0",
				"--hapi.bulk.auth.token-limits.per-client-per-minute=0");
		http = server.http();
		tokenUrl = http.base() + "/auth/token";
		loadData();
		startupWindow.stop();
		startWithoutBaseUrl();
	}

	/**
	 * From the moment the process starts (polled every 50 ms until the test data is loaded), the server never serves
	 * FHIR data without a token in mode smart (401 or 503, or no connection), and every CapabilityStatement it
	 * serves already lists our operations.
	 */
	@Test
	void startUp_patientWithoutTokenIsNeverServed_andEveryCapabilityStatementListsOurOperations() throws Exception {
		startupWindow.assertTheWindowWasClosed();
	}

	/**
	 * Issue 25.4: the WAR in mode smart with a registered client but no {@code hapi.bulk.server-base-url}. It runs in
	 * the background while the other tests run, once this IT's server is up (two starts at once on a busy machine
	 * pushed this one past its time-out), so that a slow refusal costs the run little (the refusal at bean creation
	 * came after HAPI's JPA start; FailClosedSettings now refuses before the context);
	 * {@link #smartMode_withoutServerBaseUrl_theWarExitsNamingTheSetting_andNeverAnswers} waits for it.
	 */
	private static void startWithoutBaseUrl() {
		Path directory = workDir.resolve("without-base-url");
		withoutBaseUrlDatabase = ItDatabase.fresh(directory);
		withoutBaseUrl = CompletableFuture.supplyAsync(() -> {
			try {
				return WarProcess.startExpectingRefusal(directory, withoutBaseUrlDatabase, Duration.ofMinutes(8),
						"--hapi.bulk.auth.mode=smart",
						"--hapi.bulk.auth.clients[0].client-id=" + admin.clientId(),
						"--hapi.bulk.auth.clients[0].jwks=" + admin.publicJwks(),
						"--hapi.bulk.auth.clients[0].scopes=system/*.read");
			} catch (IOException e) {
				throw new CompletionException(e);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				throw new CompletionException(e);
			}
		});
	}

	private static void serve(String path, String body, String cacheControl, AtomicInteger counter) {
		serve(path, "application/json", body, cacheControl, counter);
	}

	/** Serves {@code body} at {@code path}; {@code cacheControl} null sends no cache header at all. */
	private static void serve(String path, String contentType, String body, String cacheControl, AtomicInteger counter) {
		jwksServer.createContext(path, exchange -> {
			counter.incrementAndGet();
			byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().add("Content-Type", contentType);
			if (cacheControl != null) {
				exchange.getResponseHeaders().add("Cache-Control", cacheControl);
			}
			exchange.sendResponseHeaders(200, bytes.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
			}
		});
	}

	private static void loadData() {
		String token = admin.token(http, tokenUrl, "system/*.write");
		put(token, "Patient/p1", "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"family\":\"One\"}]}");
		put(token, "Patient/p2", "{\"resourceType\":\"Patient\",\"id\":\"p2\",\"name\":[{\"family\":\"Two\"}]}");
		put(token, "Observation/o1", observation("o1", "p1"));
		put(token, "Observation/o2", observation("o2", "p2"));
		put(token, "Condition/c1", "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"subject\":{\"reference\":\"Patient/p1\"}}");
	}

	private static String observation(String id, String patient) {
		return "{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\","
				+ "\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"}}";
	}

	private static void put(String token, String path, String body) {
		HttpResponse<String> response = http.put(path, body, "Content-Type", JSON, "Authorization", SmartClient.bearer(token));
		assertThat(response.statusCode()).as(response.body()).isIn(200, 201);
	}

	@AfterAll
	static void stop() throws Exception {
		if (startupWindow != null) {
			startupWindow.stop();
		}
		if (server != null) {
			server.close();
		}
		if (withoutBaseUrl != null) {
			// Never leave its process behind: the helper ends it by its time-out at the latest.
			withoutBaseUrl.exceptionally(failure -> null).join();
			withoutBaseUrlDatabase.drop().run();
		}
		if (jwksServer != null) {
			jwksServer.stop(0);
		}
		if (database != null) {
			database.drop().run();
		}
	}

	@Test
	void discovery_servesSmartConfigurationAndCapabilityStatement_withoutToken() {
		HttpResponse<String> config = http.get(".well-known/smart-configuration", "Accept", "text/html");
		assertThat(config.statusCode()).isEqualTo(200);
		assertThat(config.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
		JsonNode json = FhirHttp.json(config);
		assertThat(json.get("token_endpoint").asText()).isEqualTo(tokenUrl);
		assertThat(texts(json.get("token_endpoint_auth_methods_supported"))).contains("private_key_jwt");
		assertThat(texts(json.get("token_endpoint_auth_signing_alg_values_supported"))).contains("RS384", "ES384");
		assertThat(texts(json.get("grant_types_supported"))).contains("client_credentials");
		assertThat(texts(json.get("capabilities"))).contains("client-confidential-asymmetric", "permission-v1",
				"permission-v2");
		assertThat(texts(json.get("code_challenge_methods_supported"))).containsExactly("S256");

		HttpResponse<String> metadata = http.get("metadata", "Accept", JSON);
		assertThat(metadata.statusCode()).isEqualTo(200);
		JsonNode security = FhirHttp.json(metadata).get("rest").get(0).get("security");
		assertThat(security.get("service").get(0).get("coding").get(0).get("code").asText()).isEqualTo("SMART-on-FHIR");
		JsonNode oauth = security.get("extension").get(0);
		assertThat(oauth.get("url").asText()).isEqualTo("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
		assertThat(oauth.get("extension").get(0).get("valueUri").asText()).isEqualTo(tokenUrl);
	}

	@Test
	void token_rs384InlineJwks_isIssuedShortLivedAndNotCached() {
		HttpResponse<String> response = SmartClient.requestToken(http, tokenUrl,
				SmartClient.form(admin.assertion(tokenUrl), "system/*.read"));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		assertThat(response.headers().firstValue("Cache-Control").orElseThrow()).isEqualTo("no-store");
		JsonNode json = FhirHttp.json(response);
		assertThat(json.get("token_type").asText()).isEqualToIgnoringCase("bearer");
		assertThat(json.get("expires_in").asInt()).isBetween(1, 300);
		assertThat(json.get("scope").asText()).isEqualTo("system/*.read");
		assertThat(http.get("Patient/p1", "Accept", JSON, "Authorization", SmartClient.bearer(json.get("access_token").asText()))
				.statusCode()).isEqualTo(200);
	}

	@Test
	void token_es384JwksUrl_isIssued_andTheJwksIsCachedAsCacheControlAllows() {
		int before = jwksFetches.get();
		narrow.token(http, tokenUrl, "system/Patient.rs");
		narrow.token(http, tokenUrl, "system/Patient.read");
		assertThat(jwksFetches.get() - before).isLessThanOrEqualTo(1);
		assertThat(jwksFetches.get()).isGreaterThanOrEqualTo(1);
	}

	@Test
	void token_scopes_areNarrowedToTheRegistration_andUnknownScopesRefused() {
		JsonNode granted = FhirHttp.json(SmartClient.requestToken(http, tokenUrl,
				SmartClient.form(narrow.assertion(tokenUrl), "system/*.read")));
		assertThat(granted.get("scope").asText().split(" ")).containsExactlyInAnyOrder("system/Patient.rs",
				"system/Observation.rs");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(narrow.assertion(tokenUrl),
				"system/Condition.read")), 400, "invalid_scope");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl),
				"system/NoSuchType.read")), 400, "invalid_scope");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl),
				"system/Patient.write-all")), 400, "invalid_scope");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl),
				"user/*.read")), 400, "invalid_scope");
		// v1 and v2 mixed in one request
		JsonNode mixed = FhirHttp.json(SmartClient.requestToken(http, tokenUrl,
				SmartClient.form(admin.assertion(tokenUrl), "system/Patient.read system/Observation.rs")));
		assertThat(mixed.get("scope").asText()).isEqualTo("system/Patient.read system/Observation.rs");
	}

	@Test
	void token_refusals() {
		Instant now = Instant.now();
		Map<String, String> wrongGrant = SmartClient.form(admin.assertion(tokenUrl), "system/*.read");
		wrongGrant.put("grant_type", "password");
		assertError(SmartClient.requestToken(http, tokenUrl, wrongGrant), 400, "unsupported_grant_type");

		Map<String, String> wrongType = SmartClient.form(admin.assertion(tokenUrl), "system/*.read");
		wrongType.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer");
		assertError(SmartClient.requestToken(http, tokenUrl, wrongType), 400, "invalid_request");

		Map<String, String> missing = SmartClient.form("x", "system/*.read");
		missing.remove("client_assertion");
		assertError(SmartClient.requestToken(http, tokenUrl, missing), 400, "invalid_request");

		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form("not-a-jwt", "system/*.read")), 401,
				"invalid_client");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> c.expirationTime(Date.from(now.minusSeconds(120))), h -> {}), "system/*.read")), 401, "invalid_client");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> c.expirationTime(Date.from(now.plusSeconds(600))), h -> {}), "system/*.read")), 401, "invalid_client");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> c.audience("http://elsewhere.example/token"), h -> {}), "system/*.read")), 401, "invalid_client");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> c.subject("someone-else"), h -> {}), "system/*.read")), 401, "invalid_client");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> c.jwtID(null), h -> {}), "system/*.read")), 401, "invalid_client");

		String once = admin.assertion(tokenUrl);
		assertThat(SmartClient.requestToken(http, tokenUrl, SmartClient.form(once, "system/*.read")).statusCode()).isEqualTo(200);
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(once, "system/*.read")), 401, "invalid_client");
	}

	@Test
	void token_refusesWrongSignaturesUnknownClientsAndForeignKeys() throws Exception {
		// The admin's kid, but signed with another key
		SmartClient impostor = SmartClient.rs384(admin.clientId(), "rsa-1");
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(impostor.assertion(tokenUrl),
				"system/*.read")), 401, "invalid_client");
		// A client id nobody registered
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.as("unregistered").assertion(tokenUrl),
				"system/*.read")), 401, "invalid_client");
		// A registered client whose assertion names a kid it does not have
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.assertion(tokenUrl,
				c -> {}, h -> h.keyID("no-such-kid")), "system/*.read")), 401, "invalid_client");
		// jku pointing at a JWKS that is not allow-listed
		String jku = "http://127.0.0.1:" + jwksServer.getAddress().getPort() + "/jku-jwks.json";
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(jkuClient.assertion(tokenUrl,
				c -> {}, h -> h.jwkURL(URI.create(jku))), "system/Patient.read")), 401, "invalid_client");
		// An unsigned JWT ("alg": "none")
		String unsigned = new com.nimbusds.jwt.PlainJWT(new com.nimbusds.jwt.JWTClaimsSet.Builder()
				.issuer(admin.clientId()).subject(admin.clientId()).audience(tokenUrl)
				.expirationTime(Date.from(Instant.now().plusSeconds(60))).jwtID("none-1").build()).serialize();
		assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(unsigned, "system/*.read")), 401,
				"invalid_client");
		assertThat(JWKSet.parse(jkuClient.publicJwks()).getKeys()).hasSize(1);
	}

	@Test
	void restApi_needsAValidToken_andHonoursScopes() {
		HttpResponse<String> anonymous = http.get("Patient/p1", "Accept", JSON);
		assertThat(anonymous.statusCode()).isEqualTo(401);
		assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
		assertThat(FhirHttp.json(anonymous).get("resourceType").asText()).isEqualTo("OperationOutcome");
		assertThat(http.get("Patient/p1", "Accept", JSON, "Authorization", "Bearer forged.token.here").statusCode())
				.isEqualTo(401);
		assertThat(http.get("Observation", "Accept", JSON).statusCode()).isEqualTo(401);
		assertThat(http.get("$export", "Accept", JSON, "Prefer", "respond-async").statusCode()).isEqualTo(401);

		String narrowToken = narrow.token(http, tokenUrl, "system/Patient.rs system/Observation.read");
		assertThat(http.get("Patient/p2", "Accept", JSON, "Authorization", SmartClient.bearer(narrowToken)).statusCode())
				.isEqualTo(200);
		assertThat(http.get("Condition/c1", "Accept", JSON, "Authorization", SmartClient.bearer(narrowToken)).statusCode())
				.isEqualTo(403);
		assertThat(http.put("Patient/p3", "{\"resourceType\":\"Patient\",\"id\":\"p3\"}", "Content-Type", JSON,
				"Authorization", SmartClient.bearer(narrowToken)).statusCode()).isEqualTo(403);
		assertThat(http.post("$import", "{\"resourceType\":\"Parameters\"}", "Content-Type", JSON, "Accept", JSON,
				"Prefer", "respond-async", "Authorization", SmartClient.bearer(narrowToken)).statusCode())
				.isBetween(400, 404);
	}

	@Test
	void export_typesOutsideTheScopesAreRefused_andWithoutTypeOnlyPermittedTypesAreExported() throws Exception {
		String token = narrow.token(http, tokenUrl, "system/Patient.rs system/Observation.read");
		HttpResponse<String> refused = http.get("$export?_type=Patient,Condition", "Accept", JSON, "Prefer",
				"respond-async", "Authorization", SmartClient.bearer(token));
		assertThat(refused.statusCode()).isEqualTo(403);
		assertThat(FhirHttp.json(refused).get("resourceType").asText()).isEqualTo("OperationOutcome");
		assertThat(refused.body()).contains("BULK-0331");

		HttpResponse<String> kickOff = http.get("$export", "Accept", JSON, "Prefer", "respond-async",
				"Authorization", SmartClient.bearer(token));
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		String statusUrl = kickOff.headers().firstValue("Content-Location").orElseThrow();
		JsonNode manifest = awaitManifest(statusUrl, token);
		assertThat(manifest.get("requiresAccessToken").asBoolean()).isTrue();
		List<String> types = new ArrayList<>();
		manifest.get("output").forEach(o -> types.add(o.get("type").asText()));
		assertThat(types).containsExactlyInAnyOrder("Observation", "Patient");
		String fileUrl = manifest.get("output").get(0).get("url").asText();

		// The owner downloads; nobody else gets anything, not even a hint that the job exists
		assertThat(http.get(fileUrl, "Authorization", SmartClient.bearer(token)).statusCode()).isEqualTo(200);
		assertThat(http.get(fileUrl).statusCode()).isEqualTo(401);
		String other = admin.token(http, tokenUrl, "system/*.read");
		assertThat(http.get(fileUrl, "Authorization", SmartClient.bearer(other)).statusCode()).isEqualTo(404);
		assertThat(http.get(statusUrl, "Authorization", SmartClient.bearer(other)).statusCode()).isEqualTo(404);
		assertThat(http.delete(statusUrl, "Authorization", SmartClient.bearer(other)).statusCode()).isEqualTo(404);
		assertThat(http.get(statusUrl, "Authorization", SmartClient.bearer(token)).statusCode()).isEqualTo(200);
		assertThat(http.delete(statusUrl, "Authorization", SmartClient.bearer(token)).statusCode()).isEqualTo(202);
	}

	@Test
	void patientScopedClient_reachesOnlyItsOwnPatient() throws Exception {
		String token = patientOne.token(http, tokenUrl, "system/*.read");
		String bearer = SmartClient.bearer(token);
		assertThat(http.get("Patient/p1", "Accept", JSON, "Authorization", bearer).statusCode()).isEqualTo(200);
		assertThat(http.get("Patient/p2", "Accept", JSON, "Authorization", bearer).statusCode()).isEqualTo(403);
		assertThat(http.get("Observation/o2", "Accept", JSON, "Authorization", bearer).statusCode()).isEqualTo(403);
		assertThat(http.get("Observation?subject=Patient/p2", "Accept", JSON, "Authorization", bearer).statusCode())
				.isEqualTo(403);
		assertThat(http.get("Patient/p2/$export", "Accept", JSON, "Prefer", "respond-async", "Authorization", bearer)
				.statusCode()).isEqualTo(403);
		assertThat(http.get("$export", "Accept", JSON, "Prefer", "respond-async", "Authorization", bearer)
				.statusCode()).isEqualTo(403);
		assertThat(http.get("Patient/$export", "Accept", JSON, "Prefer", "respond-async", "Authorization", bearer)
				.statusCode()).isEqualTo(403);

		HttpResponse<String> own = http.get("Patient/p1/$export", "Accept", JSON, "Prefer", "respond-async",
				"Authorization", bearer);
		assertThat(own.statusCode()).as(own.body()).isEqualTo(202);
		JsonNode manifest = awaitManifest(own.headers().firstValue("Content-Location").orElseThrow(), token);
		List<String> ids = new ArrayList<>();
		for (JsonNode output : manifest.get("output")) {
			String body = http.get(output.get("url").asText(), "Authorization", bearer).body();
			body.lines().map(FhirHttp::parse).forEach(r -> ids.add(r.get("resourceType").asText() + "/" + r.get("id").asText()));
		}
		assertThat(ids).containsExactlyInAnyOrder("Patient/p1", "Observation/o1", "Condition/c1");
	}

	@Test
	void audit_recordsTokensAndKickOffs() {
		String token = admin.token(http, tokenUrl, "system/bulk-audit");
		SmartClient.requestToken(http, tokenUrl, SmartClient.form(admin.as("unregistered").assertion(tokenUrl), "system/*.read"));
		String narrowToken = narrow.token(http, tokenUrl, "system/Patient.rs");
		assertThat(http.get("$export?_type=Condition", "Accept", JSON, "Prefer", "respond-async", "Authorization",
				SmartClient.bearer(narrowToken)).statusCode()).isEqualTo(403);
		await().atMost(30, SECONDS).untilAsserted(() -> {
			HttpResponse<String> events = http.get("AuditEvent?_count=500", "Accept", JSON, "Authorization",
					SmartClient.bearer(token));
			assertThat(events.statusCode()).isEqualTo(200);
			assertThat(events.body()).contains("\"token-issued\"", "\"token-refused\"", "\"export-kickoff\"",
					"admin-client", "narrow-client");
		});
		assertThat(server.log()).content().contains("\"action\":\"token-refused\"")
				.contains("\"action\":\"export-kickoff\",\"outcome\":\"failure\",\"client\":\"narrow-client\"");
	}

	private static JsonNode awaitManifest(String statusUrl, String token) throws InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> status = http.get(statusUrl, "Authorization", SmartClient.bearer(token));
			if (status.statusCode() == 200) {
				return FhirHttp.json(status);
			}
			assertThat(status.statusCode()).as(status.body()).isIn(202, 429);
			Thread.sleep(1100);
		}
		throw new AssertionError("The export did not finish");
	}

	private static void assertError(HttpResponse<String> response, int status, String error) {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		assertThat(FhirHttp.json(response).get("error").asText()).isEqualTo(error);
		assertThat(response.headers().firstValue("Cache-Control").orElse("")).isEqualTo("no-store");
	}

	private static List<String> texts(JsonNode array) {
		List<String> values = new ArrayList<>();
		array.forEach(v -> values.add(v.asText()));
		return values;
	}

	@Test
	void auditTrail_isAppendOnlyForASystemStarClient_andUnreadableWithoutTheAuditScope() {
		// given: an AuditEvent of the server's (its id found with the audit scope)
		String auditor = admin.token(http, tokenUrl, "system/bulk-audit");
		admin.token(http, tokenUrl, "system/*.read");
		String[] eventId = new String[1];
		await().atMost(30, SECONDS).untilAsserted(() -> {
			HttpResponse<String> events = http.get("AuditEvent?_count=1", "Accept", JSON, "Authorization",
					SmartClient.bearer(auditor));
			assertThat(events.statusCode()).as(events.body()).isEqualTo(200);
			assertThat(FhirHttp.json(events).path("entry")).isNotEmpty();
			eventId[0] = FhirHttp.json(events).path("entry").get(0).path("resource").path("id").asText();
		});
		String everything = SmartClient.bearer(admin.token(http, tokenUrl, "system/*.*"));
		String reader = SmartClient.bearer(admin.token(http, tokenUrl, "system/*.read"));
		String forged = "{\"resourceType\":\"AuditEvent\",\"id\":\"" + eventId[0] + "\",\"recorded\":\"2020-01-01T00:00:00Z\","
				+ "\"type\":{\"code\":\"rest\"},\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"x\"}}}";

		// when
		HttpResponse<String> put = http.put("AuditEvent/" + eventId[0], forged, "Content-Type", JSON, "Authorization",
				everything);
		HttpResponse<String> delete = http.delete("AuditEvent/" + eventId[0], "Authorization", everything);
		HttpResponse<String> search = http.get("AuditEvent", "Accept", JSON, "Authorization", reader);
		HttpResponse<String> read = http.get("AuditEvent/" + eventId[0], "Accept", JSON, "Authorization", reader);

		// then
		assertThat(put.statusCode()).as(put.body()).isEqualTo(403);
		assertThat(put.body()).contains("BULK-0350");
		assertThat(delete.statusCode()).as(delete.body()).isEqualTo(403);
		assertThat(delete.body()).contains("BULK-0350");
		assertThat(search.statusCode()).as(search.body()).isEqualTo(403);
		assertThat(search.body()).contains("BULK-0351");
		assertThat(read.statusCode()).as(read.body()).isEqualTo(403);
		HttpResponse<String> after = http.get("AuditEvent/" + eventId[0], "Accept", JSON, "Authorization",
				SmartClient.bearer(auditor));
		assertThat(after.statusCode()).isEqualTo(200);
		assertThat(FhirHttp.json(after).path("meta").path("versionId").asText()).isEqualTo("1");
	}

	// issue 25.1 and 25.10: inline match URLs and id probes

	@Test
	void inlineMatchUrl_withoutPatientRead_is403_whetherOrNotAPatientMatches_andNothingIsStored() {
		// given: a token that may create and read Observations only
		String bearer = SmartClient.bearer(admin.token(http, tokenUrl, "system/Observation.cr"));
		String reader = SmartClient.bearer(admin.token(http, tokenUrl, "system/*.read"));
		int before = FhirHttp.json(http.get("Observation?_summary=count", "Accept", JSON, "Authorization", reader))
				.get("total").asInt();

		// when: one Observation's subject matches Patient p1, the other's matches nothing
		HttpResponse<String> matching = http.post("Observation", inlineObservation("Patient?family=One"),
				"Content-Type", JSON, "Accept", JSON, "Authorization", bearer);
		HttpResponse<String> unmatched = http.post("Observation", inlineObservation("Patient?family=Nobody"),
				"Content-Type", JSON, "Accept", JSON, "Authorization", bearer);

		// then
		assertThat(matching.statusCode()).as(matching.body()).isEqualTo(403);
		assertThat(unmatched.statusCode()).as(unmatched.body()).isEqualTo(403);
		assertThat(matching.body()).contains("BULK-0344");
		assertThat(unmatched.body()).contains("BULK-0344");
		assertThat(FhirHttp.json(http.get("Observation?_summary=count", "Accept", JSON, "Authorization", reader))
				.get("total").asInt()).isEqualTo(before);

		// and: with read access to Patient the reference is resolved (p2: the p1 export test counts p1's data)
		HttpResponse<String> allowed = http.post("Observation", inlineObservation("Patient?family=Two"),
				"Content-Type", JSON, "Accept", JSON, "Authorization",
				SmartClient.bearer(admin.token(http, tokenUrl, "system/Observation.cr system/Patient.rs")));
		assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(201);
		assertThat(FhirHttp.json(allowed).at("/subject/reference").asText()).isEqualTo("Patient/p2");
	}

	@Test
	void groupAndPatientExport_probes_answerTheSame_forStoredAndUnknownIds() {
		// given: a stored Group
		put(admin.token(http, tokenUrl, "system/*.write"), "Group/g-probe", "{\"resourceType\":\"Group\","
				+ "\"id\":\"g-probe\",\"type\":\"person\",\"actual\":true,\"member\":[{\"entity\":"
				+ "{\"reference\":\"Patient/p1\"}}]}");
		String noGroupRead = SmartClient.bearer(admin.token(http, tokenUrl, "system/Patient.rs"));
		String noPatientRead = SmartClient.bearer(admin.token(http, tokenUrl, "system/Observation.rs"));

		// when
		HttpResponse<String> storedGroup = exportKickOff("Group/g-probe/$export?_type=Patient", noGroupRead);
		HttpResponse<String> unknownGroup = exportKickOff("Group/no-such-group/$export?_type=Patient", noGroupRead);
		HttpResponse<String> storedPatient = exportKickOff("Patient/p1/$export?_type=Observation", noPatientRead);
		HttpResponse<String> unknownPatient = exportKickOff("Patient/no-such-patient/$export?_type=Observation",
				noPatientRead);

		// then
		assertThat(storedGroup.statusCode()).as(storedGroup.body()).isEqualTo(403);
		assertThat(unknownGroup.statusCode()).as(unknownGroup.body()).isEqualTo(403);
		assertThat(diagnostics(unknownGroup)).isEqualTo(diagnostics(storedGroup)).startsWith("BULK-0342");
		assertThat(storedPatient.statusCode()).as(storedPatient.body()).isEqualTo(403);
		assertThat(unknownPatient.statusCode()).as(unknownPatient.body()).isEqualTo(403);
		assertThat(diagnostics(unknownPatient)).isEqualTo(diagnostics(storedPatient)).startsWith("BULK-0346");
	}

	private static String inlineObservation(String subject) {
		return "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"inline-probe\"},"
				+ "\"subject\":{\"reference\":\"" + subject + "\"}}";
	}

	private static HttpResponse<String> exportKickOff(String path, String bearer) {
		return http.get(path, "Accept", JSON, "Prefer", "respond-async", "Authorization", bearer);
	}

	private static String diagnostics(HttpResponse<String> response) {
		return FhirHttp.json(response).at("/issue/0/diagnostics").asText();
	}

	/**
	 * Issue 25, point 6: the management endpoints are not on the API port (no token is checked there), and the
	 * metrics on their own port name no path (the working directory) and no main class.
	 */
	@Test
	void actuator_isNotServedOnTheApiPort_andItsMetricsCarryNoPathLabels() {
		// given
		String apiRoot = http.base().substring(0, http.base().length() - "/fhir".length());

		// when
		HttpResponse<String> onApiPort = http.get(apiRoot + "/actuator/prometheus");
		HttpResponse<String> onApiPortWithToken = http.get(apiRoot + "/actuator/prometheus", "Authorization",
				SmartClient.bearer(admin.token(http, tokenUrl, "system/*.read")));
		HttpResponse<String> scrape = http.get(server.managementBase() + "/prometheus");

		// then
		assertThat(onApiPort.statusCode()).isIn(401, 403, 404);
		assertThat(onApiPortWithToken.statusCode()).isIn(401, 403, 404);
		assertThat(onApiPort.body()).doesNotContain("disk_free_bytes");
		assertThat(scrape.statusCode()).isEqualTo(200);
		assertThat(scrape.body()).contains("disk_free_bytes").contains("hapi_bulk_tokens_issued_total")
				.doesNotContainPattern("[{,]path=\"").doesNotContain("main_application_class")
				.doesNotContain(workDir.toAbsolutePath().toString());
	}

	// issue 25.3, 25.4, 25.5 and 25.7 over HTTP

	/**
	 * Issue 25, point 3: a job belongs to the client and the patient context of its kick-off's token. In mode smart a
	 * client's patient comes from its registration, so one client has a second context when another node sharing
	 * the signing key registered it with another patient (or none), as during a rolling change of the registration:
	 * the test makes that node's tokens with the shared key. They are the server's own tokens (its signature checks,
	 * the p2 one reads p2), and see nothing of p1's job: the 404 of an unknown job on status, cancel and files.
	 */
	@Test
	void patientBoundJob_isUnknownToTheSameClientInAnotherPatientContext_onStatusCancelAndFiles() throws Exception {
		// given: p1's export, kicked off and finished with the client's own token (bound to p1)
		String p1Token = patientOne.token(http, tokenUrl, "system/*.read");
		String p1 = SmartClient.bearer(p1Token);
		HttpResponse<String> kickOff = exportKickOff("Patient/p1/$export?_type=Patient,Observation", p1);
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		String statusUrl = kickOff.headers().firstValue("Content-Location").orElseThrow();
		List<String> fileUrls = new ArrayList<>();
		awaitManifest(statusUrl, p1Token).get("output").forEach(output -> fileUrls.add(output.get("url").asText()));
		assertThat(fileUrls).hasSize(2);
		// and: tokens of the same client bound to p2, and to no patient, signed with the server's key
		assertThat(SignedJWT.parse(p1Token).verify(new ECDSAVerifier(signingKey.toPublicJWK()))).isTrue();
		String p2 = SmartClient.bearer(sharedKeyToken(patientOne.clientId(), "system/*.read", "p2"));
		String none = SmartClient.bearer(sharedKeyToken(patientOne.clientId(), "system/*.read", null));
		assertThat(http.get("Patient/p2", "Accept", JSON, "Authorization", p2).statusCode()).isEqualTo(200);
		assertThat(http.get("Patient/p1", "Accept", JSON, "Authorization", p2).statusCode()).isEqualTo(403);
		assertThat(http.get("Patient/p1", "Accept", JSON, "Authorization", none).statusCode()).isEqualTo(200);

		for (String other : List.of(p2, none)) {
			// when
			HttpResponse<String> status = http.get(statusUrl, "Authorization", other);
			HttpResponse<String> cancel = http.delete(statusUrl, "Authorization", other);
			List<HttpResponse<String>> files = fileUrls.stream().map(url -> http.get(url, "Authorization", other)).toList();

			// then: the answers of a job that does not exist
			assertThat(status.statusCode()).as(status.body()).isEqualTo(404);
			assertThat(status.body()).contains("BULK-0201");
			assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(404);
			assertThat(cancel.body()).contains("BULK-0201");
			assertThat(files).allSatisfy(file -> {
				assertThat(file.statusCode()).as(file.body()).isEqualTo(404);
				assertThat(file.body()).contains("BULK-0203");
			});
		}
		// and: the job's own context still gets it all (the cancels did nothing), and cancels it
		assertThat(http.get(statusUrl, "Authorization", p1).statusCode()).isEqualTo(200);
		for (String url : fileUrls) {
			HttpResponse<String> file = http.get(url, "Authorization", p1);
			assertThat(file.statusCode()).isEqualTo(200);
			assertThat(file.body()).contains("p1");
		}
		assertThat(http.delete(statusUrl, "Authorization", p1).statusCode()).isEqualTo(202);
	}

	/**
	 * Issue 25, point 4: the WAR in mode smart without {@code hapi.bulk.server-base-url} (started in the background
	 * by {@link #start()}) exits with an error naming the setting, and never answers a request.
	 */
	@Test
	void smartMode_withoutServerBaseUrl_theWarExitsNamingTheSetting_andNeverAnswers() throws Exception {
		// when
		WarProcess.Refused refused = withoutBaseUrl.get(9, TimeUnit.MINUTES);

		// then
		System.out.println("[hapi-bulk-it] mode smart without hapi.bulk.server-base-url: exited " + refused.exited()
				+ " with " + refused.exitValue() + " after " + refused.after());
		assertThat(refused.answered()).as("/fhir/metadata answered").isFalse();
		assertThat(refused.exited()).as("exited within " + refused.after()).isTrue();
		assertThat(refused.exitValue()).isNotZero();
		assertThat(refused.output()).contains("BULK-0360: hapi.bulk.auth.mode=smart needs hapi.bulk.server-base-url");
	}

	/**
	 * Issue 25, point 5: a client whose JWKS host sends no cache headers. Signed token requests, and junk ones with
	 * its {@code kid} (another key's signature) or with a {@code kid} it does not have, fetch its JWKS once per
	 * {@code jwks-refetch-interval} (60 s, the default here), not once each; the fetch meter, on the management
	 * port, counts exactly the fetches its host saw.
	 */
	@Test
	void jwks_ofAHostSendingNoCacheHeaders_isFetchedOncePerRefetchInterval_andTheMeterCountsTheFetches() throws Exception {
		// given
		SmartClient forger = SmartClient.es384(bare.clientId(), "ec-bare");
		double meterBefore = jwksFetchMeter();
		int fetchesBefore = bareJwksFetches.get();
		Instant started = Instant.now();

		// when: 8 signed requests, 8 with its kid and a wrong signature, 4 naming kids it does not have
		for (int i = 0; i < 8; i++) {
			bare.token(http, tokenUrl, "system/Patient.read");
			assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(forger.assertion(tokenUrl),
					"system/Patient.read")), 401, "invalid_client");
		}
		for (int i = 0; i < 4; i++) {
			String kid = "ec-rotated-" + i;
			assertError(SmartClient.requestToken(http, tokenUrl, SmartClient.form(bare.assertion(tokenUrl, c -> {},
					h -> h.keyID(kid)), "system/Patient.read")), 401, "invalid_client");
		}
		Duration took = Duration.between(started, Instant.now());

		// then: one fetch per started interval at most (the first request's), and the meter says as much
		int fetched = bareJwksFetches.get() - fetchesBefore;
		assertThat(fetched).as("JWKS fetches for 20 token requests in " + took).isBetween(1,
				1 + (int) (took.toSeconds() / 60));
		assertThat(jwksFetchMeter() - meterBefore).isEqualTo(fetched);
	}

	/**
	 * Issue 25, point 7: the job list ({@code $bulk-jobs}, what the job page renders) shows an import's source
	 * without the query of its pre-signed URL, and a patient's export without the patient's id in its path or query;
	 * the detail of one job, read on purpose, shows the kick-off as it came. Each list read is an audit log line; one
	 * AuditEvent of them is stored per client and interval, which an auditor ({@code system/bulk-audit}) reads.
	 */
	@Test
	void jobList_showsNoSourceQueriesNorPatientIds_andItsReadsAreAuditedCoalesced() throws Exception {
		// given: a finished import from a pre-signed URL (one line of it bad: the list shows error files' sources)
		String writerToken = admin.token(http, tokenUrl, "system/*.write");
		String shownSource = jwksBase + "/import/Organization.ndjson";
		String source = shownSource + "?X-Amz-Credential=AKIA-IT&X-Amz-Signature=" + SIGNATURE;
		HttpResponse<String> importKickOff = http.post("$import", BulkImportClient.parameters(List.of(
						Map.entry("Organization", source))), "Content-Type", JSON, "Accept", JSON, "Prefer", "respond-async",
				"Authorization", SmartClient.bearer(writerToken));
		assertThat(importKickOff.statusCode()).as(importKickOff.body()).isEqualTo(202);
		String importStatus = importKickOff.headers().firstValue("Content-Location").orElseThrow();
		assertThat(awaitManifest(importStatus, writerToken).get("error")).hasSize(1);
		// and: a patient's export naming p2 in its path and its query (running or not: the list shows every state)
		String reader = SmartClient.bearer(admin.token(http, tokenUrl, "system/*.read"));
		HttpResponse<String> exportKickOff = exportKickOff("Patient/p2/$export?_type=Observation&_typeFilter="
				+ URLEncoder.encode("Observation?subject=Patient/p2", StandardCharsets.UTF_8), reader);
		assertThat(exportKickOff.statusCode()).as(exportKickOff.body()).isEqualTo(202);
		String exportStatus = exportKickOff.headers().firstValue("Content-Location").orElseThrow();
		String importJob = importStatus.substring(importStatus.indexOf("job=") + 4);
		String exportJob = exportStatus.substring(exportStatus.indexOf("job=") + 4);
		String lister = SmartClient.bearer(admin.token(http, tokenUrl, "system/bulk-admin"));

		// when: the list, read three times, and the export's detail
		List<HttpResponse<String>> lists = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			lists.add(http.get("$bulk-jobs?_count=100", "Accept", "application/json", "Authorization", lister));
		}
		HttpResponse<String> detail = http.get("$bulk-jobs?job=" + exportJob, "Accept", "application/json",
				"Authorization", lister);

		// then: the list shows where the data came from and what was asked, not the signature nor the patient
		assertThat(lists).allSatisfy(list -> assertThat(list.statusCode()).as(list.body()).isEqualTo(200));
		String list = lists.get(0).body();
		assertThat(list).contains(importJob, exportJob)
				.doesNotContain(SIGNATURE, "X-Amz", "Patient/p2", "Patient%2Fp2", "_typeFilter");
		Map<String, JsonNode> listed = new HashMap<>();
		FhirHttp.parse(list).path("jobs").forEach(job -> listed.put(job.path("id").asText(), job));
		assertThat(listed.get(importJob).at("/errors/files/0/input").asText()).isEqualTo(shownSource);
		assertThat(listed.get(exportJob).path("request").asText()).isEqualTo(http.base() + "/Patient/{id}/$export");
		// and: the detail shows the kick-off as it came
		assertThat(detail.statusCode()).as(detail.body()).isEqualTo(200);
		assertThat(FhirHttp.json(detail).path("request").asText()).contains("/Patient/p2/$export", "_typeFilter");
		// and: three list reads in the audit log, one stored AuditEvent of them, read with system/bulk-audit
		String listedLine = "\"action\":\"admin-jobs-listed\",\"outcome\":\"success\",\"client\":\"" + admin.clientId() + "\"";
		assertThat(new String(Files.readAllBytes(server.log()), StandardCharsets.UTF_8).lines()
				.filter(line -> line.contains(listedLine))).hasSize(3);
		String auditor = SmartClient.bearer(admin.token(http, tokenUrl, "system/bulk-audit"));
		// The AuditEvents are stored in the order they were recorded: once the detail's is there, so are the list's.
		await().atMost(30, SECONDS).until(() -> !auditEvents("admin-job-viewed", auditor).isEmpty());
		List<JsonNode> listReads = auditEvents("admin-jobs-listed", auditor);
		assertThat(listReads).hasSize(1);
		assertThat(listReads.get(0).toString()).contains(admin.clientId());
		assertThat(http.get("AuditEvent?subtype=" + URLEncoder.encode(BULK_ACTION + "|admin-jobs-listed",
				StandardCharsets.UTF_8), "Accept", JSON, "Authorization", reader).statusCode()).isEqualTo(403);
		assertThat(http.delete(exportStatus, "Authorization", reader).statusCode()).isEqualTo(202);
	}

	static final String BULK_ACTION = "urn:hapibulk:audit-action";

	/** The stored AuditEvents of one bulk action, as an auditor searches them. */
	private static List<JsonNode> auditEvents(String action, String auditor) {
		HttpResponse<String> found = http.get("AuditEvent?_count=100&subtype=" + URLEncoder.encode(BULK_ACTION + "|" + action,
				StandardCharsets.UTF_8), "Accept", JSON, "Authorization", auditor);
		assertThat(found.statusCode()).as(found.body()).isEqualTo(200);
		List<JsonNode> events = new ArrayList<>();
		FhirHttp.json(found).path("entry").forEach(entry -> events.add(entry.path("resource")));
		return events;
	}

	/** The JWKS fetches the server counted, of every client and outcome ({@code hapi.bulk.jwks.fetches}). */
	private static double jwksFetchMeter() {
		HttpResponse<String> scrape = http.get(server.managementBase() + "/prometheus");
		assertThat(scrape.statusCode()).isEqualTo(200);
		return scrape.body().lines().filter(line -> line.startsWith("hapi_bulk_jwks_fetches_total"))
				.mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
	}

	/**
	 * An access token as this server issues them (see {@code AccessTokens}), signed with the shared signing key: what
	 * another node that registered {@code clientId} with {@code patient} (null: none) would issue.
	 */
	private static String sharedKeyToken(String clientId, String scope, String patient) throws JOSEException {
		Instant now = Instant.now();
		JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer("hapi-bulk").subject(clientId)
				.claim("client_id", clientId).claim("scope", scope).issueTime(Date.from(now))
				.expirationTime(Date.from(now.plusSeconds(120))).jwtID(UUID.randomUUID().toString());
		if (patient != null) {
			claims.claim("patient", patient);
		}
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("at+jwt"))
				.keyID(signingKey.getKeyID()).build(), claims.build());
		jwt.sign(new ECDSASigner(signingKey));
		return jwt.serialize();
	}
}
