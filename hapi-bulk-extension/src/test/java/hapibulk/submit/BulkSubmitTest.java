package hapibulk.submit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.HttpBridge;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.SourceServer;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code $bulk-submit} between two real servers in one JVM, both in auth mode smart. The provider (its own HAPI JPA
 * context and database, reached over real HTTP through {@link HttpBridge}) exports Synthea data for the client the
 * consumer is registered as there; this test's consumer is told of that export's manifest by a client holding
 * {@code system/bulk-submit}, fetches the manifest and the files with a token it gets from the provider by SMART
 * Backend Services, and loads them with its import job. Its import settings allow no source at all: the files are
 * read under the submitter's registration only.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkSubmitTest {

	static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole", "Patient",
			"Device", "Encounter");
	static final String SUBMITTER_SYSTEM = "https://hospital-a.example.org/ids";
	static final String CONSUMER_AT_PROVIDER = "consumer-b";
	static final ECKey CONSUMER_KEY = key("consumer-b-key");
	static final ECKey LOADER_KEY = key("loader-key");
	static final HttpBridge provider = new HttpBridge();
	/** A provider whose every URL answers one manifest, naming a file on another host. */
	static final SourceServer foreignFiles = new SourceServer("{\"transactionTime\":\"2026-01-01T00:00:00Z\","
			+ "\"requiresAccessToken\":false,\"output\":[{\"type\":\"Patient\",\"url\":\"http://files.elsewhere.example/p.ndjson\"}],"
			+ "\"error\":[]}");
	static final ObjectMapper JSON = new ObjectMapper();

	@DynamicPropertySource
	static void consumer(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", () -> tempDirectory("hapi-bulk-submit-consumer").toString());
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.auth.token-limits.per-client-per-minute", () -> "0");
		registry.add("hapi.bulk.auth.token-limits.per-address-per-minute", () -> "0");
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> "loader");
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> new JWKSet(LOADER_KEY.toPublicJWK()).toString());
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/bulk-submit system/*.read system/*.write");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "writer");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> new JWKSet(LOADER_KEY.toPublicJWK()).toString());
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/*.read system/*.write");
		registry.add("hapi.bulk.submit.submitters[0].system", () -> SUBMITTER_SYSTEM);
		registry.add("hapi.bulk.submit.submitters[0].value", () -> "a");
		registry.add("hapi.bulk.submit.submitters[0].fhir-base-urls[0]", provider::base);
		registry.add("hapi.bulk.submit.submitters[0].client-id", () -> CONSUMER_AT_PROVIDER);
		registry.add("hapi.bulk.submit.submitters[0].private-key-file", () -> privateKeyFile().toString());
		registry.add("hapi.bulk.submit.submitters[1].system", () -> SUBMITTER_SYSTEM);
		registry.add("hapi.bulk.submit.submitters[1].value", () -> "foreign");
		registry.add("hapi.bulk.submit.submitters[1].fhir-base-urls[0]", () -> foreignFiles.url("/fhir"));
	}

	@Autowired
	RestfulServer consumerServer;
	@Autowired
	DaoRegistry consumerDaos;

	AnnotationConfigApplicationContext providerContext;
	RestfulServerClient providerClient;
	RestfulServerClient consumer;

	@BeforeAll
	void startProvider() {
		Map<String, Object> properties = new HashMap<>();
		properties.put("hapi.bulk.file-directory", tempDirectory("hapi-bulk-submit-provider").toString());
		properties.put("hapi.bulk.server-base-url", provider.base());
		properties.put("hapi.bulk.auth.mode", "smart");
		properties.put("hapi.bulk.auth.token-limits.per-client-per-minute", "0");
		properties.put("hapi.bulk.auth.token-limits.per-address-per-minute", "0");
		properties.put("hapi.bulk.auth.clients[0].client-id", CONSUMER_AT_PROVIDER);
		properties.put("hapi.bulk.auth.clients[0].jwks", new JWKSet(CONSUMER_KEY.toPublicJWK()).toString());
		properties.put("hapi.bulk.auth.clients[0].scopes", "system/*.read");
		properties.put("hapi.bulk.audit.store-events", "false");
		providerContext = new AnnotationConfigApplicationContext();
		providerContext.getEnvironment().getPropertySources().addFirst(new MapPropertySource("provider", properties));
		providerContext.register(TestHapiServerConfig.class, BulkConfiguration.class);
		providerContext.refresh();
		HapiLoader loader = new HapiLoader(providerContext.getBean(FhirContext.class),
				providerContext.getBean(IFhirSystemDao.class));
		TYPES.forEach(type -> loader.load(lines(type)));
		RestfulServerClient anonymous = new RestfulServerClient(providerContext.getBean(RestfulServer.class));
		provider.serve(anonymous);
		providerClient = anonymous.withHeaders("Authorization", "Bearer " + token(anonymous, provider.base(),
				CONSUMER_AT_PROVIDER, CONSUMER_KEY, "system/*.read"));
		RestfulServerClient consumerAnonymous = new RestfulServerClient(consumerServer);
		consumer = consumerAnonymous.withHeaders("Authorization", "Bearer " + token(consumerAnonymous,
				RestfulServerClient.BASE, "loader", LOADER_KEY, "system/bulk-submit system/*.read system/*.write"));
	}

	@AfterAll
	void stop() {
		if (providerContext != null) {
			providerContext.close();
		}
		provider.close();
		foreignFiles.close();
	}

	@Test
	void aProvidersCompletedExport_submitted_isLoadedWithIdsKept_evenWhenTheProviderWentAwayMidway() throws Exception {
		// given: a completed system export at the provider, by the client the consumer is registered as there
		String manifestUrl = completedExport();
		int files = JSON.readTree(providerClient.get(manifestUrl.substring(provider.base().length() + 1)).body())
				.path("output").size();
		int exported = 0;
		for (String type : TYPES) {
			exported += lines(type).size();
		}
		// and a provider that stops serving files once the kick-off opened each and the job read two
		provider.failFilesAfter(files + 2);

		// when: the consumer is told of the manifest
		Answer submitted = consumer.post("$bulk-submit", parameters("s-1", manifestUrl, provider.base(), null),
				"Content-Type", "application/fhir+json");

		// then: 200; the status kick-off answers 202 with a poll URL, which reports the import's failure
		assertThat(submitted.status()).as(submitted.body()).isEqualTo(200);
		Answer kickOff = consumer.post("$bulk-submit-status", statusParameters("s-1"), "Content-Type",
				"application/fhir+json");
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String poll = kickOff.header("Content-Location");
		assertThat(poll).startsWith(RestfulServerClient.BASE + "/$bulk-submit-status?");
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).until(() -> {
			Answer answer = consumer.get(poll);
			assertThat(answer.status()).as(answer.body()).isIn(202, 500);
			return answer.status() == 500 && answer.body().contains("BULK-0948");
		});

		// when: the provider is back, and the manifest is submitted again with the submission's end
		provider.failFilesAfter(-1);
		Answer again = consumer.post("$bulk-submit", parameters("s-1", manifestUrl, provider.base(), "completed"),
				"Content-Type", "application/fhir+json");

		// then: loaded again; the poll answers 200 with the manifest once loaded
		assertThat(again.status()).as(again.body()).isEqualTo(200);
		assertThat(again.body()).contains("loading again");
		Answer[] done = new Answer[1];
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
			done[0] = consumer.get(poll);
			assertThat(done[0].status()).as(done[0].body()).isIn(200, 202);
			return done[0].status() == 200;
		});
		JsonNode manifest = JSON.readTree(done[0].body());
		assertThat(manifest.path("submissionId").asText()).isEqualTo("s-1");
		long loaded = 0;
		for (JsonNode output : manifest.path("output")) {
			assertThat(output.path("manifestUrl").asText()).isEqualTo(manifestUrl);
			assertThat(output.path("inputUrl").asText()).startsWith(provider.base() + "/$bulk-file?");
			loaded += output.path("count").asLong();
		}
		assertThat(loaded).isEqualTo(exported);
		assertThat(manifest.path("outcome")).isEmpty();

		// and the consumer holds exactly the provider's resources, ids kept
		for (String type : TYPES) {
			assertThat(resources(consumerDaos, type)).as(type)
					.isEqualTo(resources(providerContext.getBean(DaoRegistry.class), type));
			// nothing stored twice: what the failed import stored, the second one left as it was
			assertThat(versions(consumerDaos, type)).as(type).containsOnly("1");
		}
		// every file was fetched with a bearer token, and no request left the provider's base
		assertThat(provider.requests()).filteredOn(request -> request.startsWith("GET $bulk-file"))
				.isNotEmpty().allMatch(request -> request.endsWith("[bearer]"));

		// and a completed submission takes no more manifests
		Answer late = consumer.post("$bulk-submit", parameters("s-1", manifestUrl, provider.base(), null),
				"Content-Type", "application/fhir+json");
		assertThat(late.status()).isEqualTo(409);
		assertThat(late.body()).contains("BULK-0946");
	}

	@Test
	void theSameManifest_submittedByConcurrentRequests_isLoadedOnce() throws Exception {
		// given: a completed export at the provider, and six requests to submit it, sent at the same moment
		String manifestUrl = completedExport();
		long exported = TYPES.stream().mapToLong(type -> lines(type).size()).sum();
		int requests = 6;
		ExecutorService senders = Executors.newFixedThreadPool(requests);
		CountDownLatch go = new CountDownLatch(1);
		List<Future<Answer>> sent = new ArrayList<>();
		try {
			for (int i = 0; i < requests; i++) {
				sent.add(senders.submit(() -> {
					go.await();
					return consumer.post("$bulk-submit", parameters("s-concurrent", manifestUrl, provider.base(),
							null), "Content-Type", "application/fhir+json");
				}));
			}
			go.countDown();

			// then: every request is answered 200, and exactly one of them loads the manifest
			List<Answer> answers = new ArrayList<>();
			for (Future<Answer> answer : sent) {
				answers.add(answer.get(2, TimeUnit.MINUTES));
			}
			assertThat(answers).allSatisfy(answer -> assertThat(answer.status()).as(answer.body()).isEqualTo(200));
			assertThat(answers).filteredOn(answer -> answer.body().contains("accepted: loading")).hasSize(1);
			assertThat(answers).filteredOn(answer -> !answer.body().contains("accepted: loading"))
					.allSatisfy(answer -> assertThat(answer.body()).containsAnyOf("is being loaded for another request",
							"was submitted before"));
		} finally {
			senders.shutdownNow();
		}

		// and: the submission's status counts every exported resource once (one import, not several)
		Answer end = consumer.post("$bulk-submit", parameters("s-concurrent", null, null, "completed"),
				"Content-Type", "application/fhir+json");
		assertThat(end.status()).as(end.body()).isEqualTo(200);
		String poll = consumer.post("$bulk-submit-status", statusParameters("s-concurrent"), "Content-Type",
				"application/fhir+json").header("Content-Location");
		Answer[] done = new Answer[1];
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
			done[0] = consumer.get(poll);
			assertThat(done[0].status()).as(done[0].body()).isIn(200, 202);
			return done[0].status() == 200;
		});
		long loaded = 0;
		for (JsonNode output : JSON.readTree(done[0].body()).path("output")) {
			loaded += output.path("count").asLong();
		}
		assertThat(loaded).isEqualTo(exported);
	}

	@Test
	void refusals_areClear4xxWithTheirCodes() {
		String inBase = provider.base() + "/$bulk-status?job=nope";
		assertRefused(consumer.post("$bulk-submit", parameters("v-1", inBase, null, null)), 400, "BULK-0934");
		assertRefused(consumer.post("$bulk-submit", parameters("v-2", null, null, null)), 400, "BULK-0932");
		assertRefused(consumer.post("$bulk-submit", parameters("https://other.example/ids", "a", "v-3", inBase,
				provider.base(), null)), 403, "BULK-0935");
		assertRefused(consumer.post("$bulk-submit", parameters("v-4", "http://127.0.0.1:1/fhir/$bulk-status?job=x",
				provider.base(), null)), 403, "BULK-0937");
		assertRefused(consumer.post("$bulk-submit", parameters("v-5", "http://127.0.0.1:1/fhir/x",
				"http://127.0.0.1:1/fhir", null)), 403, "BULK-0936");
		assertRefused(consumer.post("$bulk-submit", parameters(SUBMITTER_SYSTEM, "foreign", "v-6",
				foreignFiles.url("/fhir/manifest"), foreignFiles.url("/fhir"), null)), 403, "BULK-0941");
		assertRefused(consumer.post("$bulk-submit", parameters("v-7", null, null, "nearly-done")), 400, "BULK-0933");
		assertRefused(consumer.post("$bulk-submit", parameters("v-8", null, null, "stopped")), 400, "BULK-0942");
		assertRefused(consumer.get("$bulk-submit-status?submitter=x%7Cy&submissionId=none"), 404, "BULK-0944");
		// a token without system/bulk-submit
		RestfulServerClient anonymous = new RestfulServerClient(consumerServer);
		RestfulServerClient writer = anonymous.withHeaders("Authorization", "Bearer " + token(anonymous,
				RestfulServerClient.BASE, "writer", LOADER_KEY, "system/*.read system/*.write"));
		assertRefused(writer.post("$bulk-submit", parameters("v-9", null, null, "in-progress")), 403, "BULK-0945");
	}

	/** The type's Synthea lines; the first 150 Encounters only (whose references all lie in the other types). */
	private static List<String> lines(String type) {
		List<String> lines = SyntheaData.lines(type);
		return type.equals("Encounter") ? lines.subList(0, 150) : lines;
	}

	@Test
	void capabilityStatement_listsBothOperations_withTheIgDefinitions() throws IOException {
		// when
		Answer metadata = new RestfulServerClient(consumerServer).get("metadata", "Accept", "application/fhir+json");
		// then
		assertThat(metadata.status()).isEqualTo(200);
		Map<String, String> operations = new HashMap<>();
		for (JsonNode operation : JSON.readTree(metadata.body()).path("rest").path(0).path("operation")) {
			operations.put(operation.path("name").asText(), operation.path("definition").asText());
		}
		assertThat(operations).containsEntry("bulk-submit", BulkSubmitProvider.SUBMIT_CANONICAL)
				.containsEntry("bulk-submit-status", BulkSubmitProvider.STATUS_CANONICAL);
	}

	private static void assertRefused(Answer answer, int status, String code) {
		assertThat(answer.status()).as(answer.body()).isEqualTo(status);
		assertThat(answer.body()).contains("OperationOutcome").contains(code);
	}

	/** Kicks off a system export of the loaded types at the provider and waits for its manifest; its status URL. */
	private String completedExport() {
		Answer kickOff = providerClient.get("$export?_type=" + String.join(",", TYPES),
				RestfulServerClient.kickOffHeaders());
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String status = kickOff.header("Content-Location");
		assertThat(status).startsWith(provider.base());
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(300))
				.until(() -> providerClient.get(status.substring(provider.base().length() + 1)).status() == 200);
		return status;
	}

	/** Each resource of the type, by id, without meta (versions and times are the consumer's own). */
	private static Map<String, JsonNode> resources(DaoRegistry daos, String type) {
		FhirContext fhirContext = daos.getSystemDao().getContext();
		List<IBaseResource> all = daos.getResourceDao(type).search(SearchParameterMap.newSynchronous(),
				new SystemRequestDetails()).getAllResources();
		Map<String, JsonNode> byId = new TreeMap<>();
		for (IBaseResource resource : all) {
			byId.put(resource.getIdElement().getIdPart(),
					JsonCompare.withoutMeta(fhirContext.newJsonParser().encodeResourceToString(resource)));
		}
		return byId;
	}

	private static List<String> versions(DaoRegistry daos, String type) {
		return daos.getResourceDao(type).search(SearchParameterMap.newSynchronous(), new SystemRequestDetails())
				.getAllResources().stream().map(resource -> resource.getIdElement().getVersionIdPart()).distinct().toList();
	}

	private static String parameters(String submissionId, String manifestUrl, String base, String status) {
		return parameters(SUBMITTER_SYSTEM, "a", submissionId, manifestUrl, base, status);
	}

	private static String parameters(String system, String value, String submissionId, String manifestUrl, String base,
			String status) {
		List<String> parameters = new ArrayList<>();
		parameters.add("{\"name\":\"submitter\",\"valueIdentifier\":{\"system\":\"" + system + "\",\"value\":\"" + value
				+ "\"}}");
		parameters.add("{\"name\":\"submissionId\",\"valueString\":\"" + submissionId + "\"}");
		if (manifestUrl != null) {
			parameters.add("{\"name\":\"manifestUrl\",\"valueString\":\"" + manifestUrl + "\"}");
		}
		if (base != null) {
			parameters.add("{\"name\":\"fhirBaseUrl\",\"valueString\":\"" + base + "\"}");
		}
		if (status != null) {
			parameters.add("{\"name\":\"submissionStatus\",\"valueCoding\":{\"system\":"
					+ "\"http://hl7.org/fhir/event-status\",\"code\":\"" + status + "\"}}");
		}
		return "{\"resourceType\":\"Parameters\",\"parameter\":[" + String.join(",", parameters) + "]}";
	}

	private static String statusParameters(String submissionId) {
		return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"submitter\",\"valueIdentifier\":{\"system\":\""
				+ SUBMITTER_SYSTEM + "\",\"value\":\"a\"}},{\"name\":\"submissionId\",\"valueString\":\"" + submissionId
				+ "\"}]}";
	}

	private static String token(RestfulServerClient server, String base, String clientId, ECKey key, String scope) {
		try {
			JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId)
					.audience(base + "/auth/token").jwtID(UUID.randomUUID().toString())
					.expirationTime(Date.from(Instant.now().plusSeconds(240))).build();
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(key.getKeyID()).build(), claims);
			jwt.sign(new ECDSASigner(key));
			Answer answer = server.postForm("auth/token", Map.of("grant_type", "client_credentials",
					"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
					"client_assertion", jwt.serialize(), "scope", scope));
			assertThat(answer.status()).as(answer.body()).isEqualTo(200);
			return JSON.readTree(answer.body()).path("access_token").asText();
		} catch (JOSEException | IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static Path privateKeyFile() {
		try {
			Path file = Files.createTempFile("hapi-bulk-submitter-key", ".json");
			Files.writeString(file, CONSUMER_KEY.toJSONString());
			file.toFile().deleteOnExit();
			return file;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static ECKey key(String id) {
		try {
			return new ECKeyGenerator(Curve.P_384).keyID(id).generate();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}
}
