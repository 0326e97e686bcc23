package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import com.fasterxml.jackson.databind.JsonNode;
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
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.support.BulkJson;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.IdentifyingValues;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * De-identified exports over a real HAPI JPA server and database, through the real RestfulServer in auth mode
 * smart, on the shared Synthea data: the built-in {@code safe-harbor} profile leaves no identifying value of the
 * source resources, every reference resolves inside the output, the same key gives the same files and another key
 * other ids; every level and form of output passes the profile; a client bound to the profile gets nothing else,
 * whatever it asks. One Spring context for all of it.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeidExportTest {

	static final String HASH_KEY = "export-test-crypto-hash-key-1";
	static final String OTHER_KEY = "export-test-crypto-hash-key-2";
	static final String ANALYST = "analyst";
	static final String RESEARCHER = "researcher";
	static final ECKey KEY = generateKey();
	static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole",
			"Patient", "Device", "Encounter", "Condition", "AllergyIntolerance", "Immunization", "DocumentReference");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws Exception {
		String files = Files.createTempDirectory("hapi-bulk-deid-export").toString();
		registry.add("hapi.bulk.file-directory", () -> files);
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.export.max-running-exports", () -> "20");
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		registry.add("hapi.bulk.auth.token-limits.per-client-per-minute", () -> "0");
		registry.add("hapi.bulk.auth.token-limits.per-address-per-minute", () -> "0");
		String jwks = new JWKSet(KEY.toPublicJWK()).toString();
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> ANALYST);
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/*.rs");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> RESEARCHER);
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/*.rs system/*.cud");
		registry.add("hapi.bulk.auth.clients[1].deid-profile", () -> DeidProfiles.SAFE_HARBOR);
		registry.add("hapi.bulk.deid.keys.crypto-hash-key", () -> HASH_KEY);
		// The built-in profile once more, under keys of its own: another research partner.
		registry.add("hapi.bulk.deid.profiles.other-partner", () -> "classpath:" + DeidProfiles.SAFE_HARBOR_RESOURCE);
		registry.add("hapi.bulk.deid.profile-keys.other-partner.crypto-hash-key", () -> OTHER_KEY);
	}

	@Autowired
	RestfulServer server;
	@Autowired
	ResourceProviderFactory resourceProviders;
	@Autowired
	FhirContext fhirContext;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	JpaSystemProvider<Bundle, Meta> systemProvider;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	BulkJobTable table;

	RestfulServerClient anonymous;
	/** Client to its token and when it was issued: tokens live 5 minutes, a loaded machine's run may take longer. */
	final Map<String, Map.Entry<String, Instant>> tokens = new TreeMap<>();
	final List<JsonNode> source = new ArrayList<>();
	IdentifyingValues identifying;
	List<String> patientIds;
	Instant beforeDeletion;

	@BeforeAll
	void loadData() throws InterruptedException {
		server.registerProviders(resourceProviders.createProviders());
		// transactions and batches
		server.registerProvider(systemProvider);
		anonymous = new RestfulServerClient(server);
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		for (String type : TYPES) {
			List<String> lines = SyntheaData.lines(type);
			loader.load(lines);
			lines.forEach(line -> source.add(DeidTesting.json(line)));
		}
		patientIds = source.stream().filter(r -> r.path("resourceType").asText().equals("Patient"))
				.map(r -> r.path("id").asText()).sorted().toList();
		SystemRequestDetails system = new SystemRequestDetails();
		Group group = new Group();
		group.setId("research-cohort");
		group.setType(Group.GroupType.PERSON).setActual(true).setName("Cohort of Doe");
		patientIds.subList(0, 3).forEach(id -> group.addMember().getEntity().setReference("Patient/" + id));
		daoRegistry.getResourceDao(Group.class).update(group, system);
		String encounter = source.stream().filter(r -> r.path("resourceType").asText().equals("Encounter")
				&& r.path("subject").path("reference").asText().equals("Patient/" + patientIds.get(0)))
				.findFirst().orElseThrow().path("id").asText();
		Provenance provenance = new Provenance();
		provenance.setId("prov-1");
		provenance.addTarget(new Reference("Encounter/" + encounter));
		provenance.setRecorded(new Date());
		provenance.addAgent().setWho(new Reference("Patient/" + patientIds.get(0)).setDisplay("Jane Provenance"));
		daoRegistry.getResourceDao(Provenance.class).update(provenance, system);
		identifying = new IdentifyingValues().add(source);
		identifying.values().addAll(List.of("Cohort of Doe", "Jane Provenance", "enc-deleted", "prov-1",
				"research-cohort"));
		Thread.sleep(5);
		beforeDeletion = Instant.now();
		Thread.sleep(5);
		Encounter deleted = new Encounter();
		deleted.setId("enc-deleted");
		deleted.setStatus(Encounter.EncounterStatus.FINISHED);
		deleted.getSubject().setReference("Patient/" + patientIds.get(0));
		daoRegistry.getResourceDao(Encounter.class).update(deleted, system);
		daoRegistry.getResourceDao(Encounter.class).delete(new IdType("Encounter/enc-deleted"), system);
	}

	@Test
	void safeHarbor_systemExport_ofSynthea_keepsNoIdentifyingValue_andEveryReferenceResolvesInside() throws Exception {
		// when
		JsonNode manifest = export(as(ANALYST), "$export?_anonymizationConfig=safe-harbor");
		List<JsonNode> output = output(as(ANALYST), manifest, "output");

		// then: nothing of the source's names, addresses, telecom, identifiers, dates, URLs, narrative
		assertThat(identifying.values()).hasSizeGreaterThan(1000);
		assertThat(identifying.foundIn(output)).isEmpty();
		// every resource is there, labelled, under its pseudonym
		assertThat(output).hasSize(source.size() + 2);
		assertThat(output).allSatisfy(r -> assertThat(r.path("meta").path("security").toString()).contains("CRYTOHASH"));
		assertThat(ids(output)).contains("Patient/" + hmac(HASH_KEY, patientIds.get(0)),
				"Group/" + hmac(HASH_KEY, "research-cohort"));
		// and links hold: every reference names a resource of the output
		assertThat(references(output)).isNotEmpty().allSatisfy(reference -> assertThat(ids(output)).contains(reference));
		// the manifest names the profile and its keys
		assertThat(manifest.path("extension").path("deidentification").path("profile").asText()).isEqualTo("safe-harbor");
		assertThat(manifest.path("extension").path("deidentification").path("keyId").asText()).hasSize(16);
		// and so does the kick-off's AuditEvent
		await().atMost(Duration.ofSeconds(30)).until(() -> auditedProfiles().contains("safe-harbor"));
	}

	@Test
	void sameKey_givesTheSameFiles_nextTime_andAnotherKey_otherIds() throws Exception {
		String body = """
				{"resourceType":"Parameters","parameter":[{"name":"_anonymizationConfig","valueString":"%s"},
				{"name":"_type","valueString":"Patient,Encounter"}]}""";

		// when: twice with one key (POST), once with another partner's key
		JsonNode first = exportPost(as(ANALYST), body.formatted("safe-harbor"));
		JsonNode second = exportPost(as(ANALYST), body.formatted("safe-harbor"));
		JsonNode other = exportPost(as(ANALYST), body.formatted("other-partner"));

		// then
		assertThat(fileTexts(first)).isEqualTo(fileTexts(second)).hasSize(2);
		List<JsonNode> firstOutput = output(as(ANALYST), first, "output");
		List<JsonNode> otherOutput = output(as(ANALYST), other, "output");
		assertThat(otherOutput).hasSameSizeAs(firstOutput);
		Set<String> shared = new HashSet<>(ids(firstOutput));
		shared.retainAll(ids(otherOutput));
		assertThat(shared).isEmpty();
		assertThat(other.path("extension").path("deidentification").path("keyId").asText())
				.isNotEqualTo(first.path("extension").path("deidentification").path("keyId").asText());
		assertThat(identifying.foundIn(otherOutput)).isEmpty();
	}

	@Test
	void patientAndGroupLevels_blocksAndDeletions_passTheProfileToo() throws Exception {
		RestfulServerClient analyst = as(ANALYST);

		// when
		JsonNode patients = export(analyst, "Patient/$export?_anonymizationConfig=safe-harbor"
				+ "&includeAssociatedData=LatestProvenanceResources");
		JsonNode group = export(analyst, "Group/research-cohort/$export?_anonymizationConfig=safe-harbor");
		JsonNode blocks = export(analyst, "Patient/$export?_anonymizationConfig=safe-harbor&organizeOutputBy=Patient"
				+ "&_type=Patient,Encounter");
		JsonNode deletions = export(analyst, "$export?_anonymizationConfig=safe-harbor&_type=Encounter&_since="
				+ beforeDeletion);

		// then
		for (JsonNode manifest : List.of(patients, group, blocks, deletions)) {
			List<JsonNode> output = output(analyst, manifest, "output");
			assertThat(identifying.foundIn(output)).as(manifest.path("request").asText()).isEmpty();
		}
		assertThat(types(output(analyst, patients, "output"))).contains("Provenance", "Practitioner", "Organization");
		assertThat(ids(output(analyst, group, "output")).stream().filter(id -> id.startsWith("Patient/")))
				.containsExactlyInAnyOrderElementsOf(patientIds.subList(0, 3).stream()
						.map(id -> "Patient/" + hmac(HASH_KEY, id)).toList());
		// block headers name the patient by its pseudonym
		List<String> headers = output(analyst, blocks, "output").stream()
				.filter(line -> line.path("resourceType").asText().equals("Parameters"))
				.map(line -> line.path("parameter").get(0).path("valueReference").path("reference").asText()).toList();
		assertThat(headers).contains("Patient/" + hmac(HASH_KEY, patientIds.get(0)));
		// a deletion names the deleted resource by the pseudonym the earlier delivery gave it
		List<JsonNode> deleted = output(analyst, deletions, "deleted");
		assertThat(deleted).extracting(bundle -> bundle.path("entry").get(0).path("request").path("url").asText())
				.containsExactly("Encounter/" + hmac(HASH_KEY, "enc-deleted"));
	}

	@Test
	void unknownProfile_isRefused_andAPlainExportIsUntouched() throws Exception {
		Answer unknown = as(ANALYST).get("$export?_anonymizationConfig=nope", RestfulServerClient.kickOffHeaders());
		Answer twice = as(ANALYST).get("$export?_anonymizationConfig=safe-harbor&_anonymizationConfig=other-partner",
				RestfulServerClient.kickOffHeaders());
		Answer lenient = as(ANALYST).get("$export?_anonymizationConfig=nope", RestfulServerClient.kickOffHeaders(
				"Prefer", "handling=lenient"));

		assertThat(unknown.status()).isEqualTo(400);
		assertThat(unknown.body()).contains("BULK-0910").contains("safe-harbor");
		assertThat(twice.status()).isEqualTo(400);
		assertThat(lenient.status()).as("never a plain export in its place").isEqualTo(400);
		JsonNode plain = export(as(ANALYST), "$export?_type=Patient");
		assertThat(ids(output(as(ANALYST), plain, "output"))).contains("Patient/" + patientIds.get(0));
		assertThat(plain.path("extension").has("deidentification")).isFalse();
	}

	@Test
	void exportWhoseKeysChangedSinceTheKickOff_stops_ratherThanMixPseudonyms() {
		// given: a job row whose request names other keys than the profile has now (a key turned over mid-export)
		ExportRequest request = ExportRequest.system(List.of("Patient"), null, RestfulServerClient.BASE + "/$export")
				.withDeid(DeidProfiles.SAFE_HARBOR, "0000000000000000");

		// when
		String id = exportJobService.submit(request, false).id();

		// then
		await().atMost(Duration.ofMinutes(2)).until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).isEqualTo(BulkJobState.FAILED);
		assertThat(job.errorMessage()).contains("BULK-0917");
	}

	// A client bound to the profile

	@Test
	void boundClient_atEveryLevel_withEveryParameter_getsDeidentifiedDataOnly() throws Exception {
		RestfulServerClient researcher = as(RESEARCHER);
		List<String> exports = List.of("$export", "$export?_anonymizationConfig=safe-harbor",
				"$export?_elements=name,birthDate,address,identifier", "$export?_type=Patient,Group",
				"Patient/$export?includeAssociatedData=LatestProvenanceResources,RelevantProvenanceResources",
				"Patient/$export?organizeOutputBy=Patient&_type=Patient,Condition",
				"Group/research-cohort/$export?_type=Patient,Encounter,Practitioner,Location",
				"$export?_type=Encounter&_since=" + beforeDeletion,
				"$export?_type=Patient&_outputFormat=ndjson&allowPartialManifests=true&_until="
						+ Instant.now().minusSeconds(1));

		for (String kickOff : exports) {
			// when
			JsonNode manifest = export(researcher, kickOff);

			// then
			List<JsonNode> output = output(researcher, manifest, "output");
			output.addAll(output(researcher, manifest, "deleted"));
			assertThat(output).as(kickOff).isNotEmpty();
			assertThat(identifying.foundIn(output)).as(kickOff).isEmpty();
			assertThat(manifest.path("extension").path("deidentification").path("profile").asText()).as(kickOff)
					.isEqualTo("safe-harbor");
		}
	}

	@Test
	void boundClient_cannotPickAnotherProfile_filterByIdentifyingValues_orNamePatients() {
		RestfulServerClient researcher = as(RESEARCHER);
		String patient = patientIds.get(0);

		assertRefused(researcher.get("$export?_anonymizationConfig=other-partner", RestfulServerClient.kickOffHeaders()),
				"BULK-0912");
		assertRefused(researcher.get("$export?_type=Patient&_typeFilter=Patient%3Fbirthdate%3D1927-05-21",
				RestfulServerClient.kickOffHeaders()), "BULK-0913");
		assertRefused(researcher.get("$export?_type=Patient&_typeFilter=Patient%3Fgender%3Dfemale",
				RestfulServerClient.kickOffHeaders("Prefer", "handling=lenient")), "BULK-0913");
		assertRefused(researcher.get("Patient/" + patient + "/$export", RestfulServerClient.kickOffHeaders()), "BULK-0914");
		assertRefused(researcher.get("Group/research-cohort/$export?patient=Patient/" + patient,
				RestfulServerClient.kickOffHeaders()), "BULK-0914");
		assertRefused(researcher.get("Patient/$export?patient=Patient/" + patient, RestfulServerClient.kickOffHeaders()),
				"BULK-0914");
		assertRefused(researcher.post("Patient/$export", """
				{"resourceType":"Parameters","parameter":[{"name":"patient","valueReference":{"reference":"Patient/%s"}}]}"""
				.formatted(patient), RestfulServerClient.kickOffHeaders("Content-Type", "application/fhir+json")),
				"BULK-0914");
	}

	@Test
	void boundClient_restRequests_areRefused() {
		RestfulServerClient researcher = as(RESEARCHER);
		String patient = patientIds.get(0);

		assertRefused(researcher.get("Patient/" + patient), "BULK-0915");
		assertRefused(researcher.get("Patient?_id=" + patient), "BULK-0915");
		assertRefused(researcher.get("Encounter?subject=Patient/" + patient), "BULK-0915");
		assertRefused(researcher.get("Patient/" + patient + "/_history"), "BULK-0915");
		assertRefused(researcher.post("", """
				{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/%s"}}]}"""
				.formatted(patient), "Content-Type", "application/fhir+json"), "BULK-0915");
		// the same requests of an unbound client with the same scopes are answered
		assertThat(as(ANALYST).get("Patient/" + patient).status()).isEqualTo(200);
		assertThat(researcher.get("metadata").status()).isEqualTo(200);
	}

	private static void assertRefused(Answer answer, String code) {
		assertThat(answer.status()).as(answer.body()).isEqualTo(403);
		assertThat(answer.body()).contains(code);
	}

	// Exports and their output

	private JsonNode export(RestfulServerClient client, String kickOff) throws Exception {
		Answer answer = client.get(kickOff, RestfulServerClient.kickOffHeaders());
		assertThat(answer.status()).as(kickOff + ": " + answer.body()).isEqualTo(202);
		return manifest(client, answer.header("Content-Location"));
	}

	private JsonNode exportPost(RestfulServerClient client, String parameters) throws Exception {
		Answer answer = client.post("$export", parameters,
				RestfulServerClient.kickOffHeaders("Content-Type", "application/fhir+json"));
		assertThat(answer.status()).as(answer.body()).isEqualTo(202);
		return manifest(client, answer.header("Content-Location"));
	}

	private static JsonNode manifest(RestfulServerClient client, String statusUrl) throws Exception {
		Answer[] last = new Answer[1];
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
			last[0] = client.get(statusUrl);
			return last[0].status() != 202;
		});
		assertThat(last[0].status()).as(last[0].body()).isEqualTo(200);
		return BulkJson.MAPPER.readTree(last[0].body());
	}

	/** Every line of the manifest's files of one kind (output, deleted), downloaded. */
	private static List<JsonNode> output(RestfulServerClient client, JsonNode manifest, String kind) throws Exception {
		List<JsonNode> lines = new ArrayList<>();
		for (String text : fileTexts(client, manifest, kind).values()) {
			for (String line : text.split("\n")) {
				if (!line.isBlank()) {
					lines.add(BulkJson.MAPPER.readTree(line));
				}
			}
		}
		return lines;
	}

	private Map<String, String> fileTexts(JsonNode manifest) {
		return fileTexts(as(ANALYST), manifest, "output");
	}

	/** Type and position of each file to its content. */
	private static Map<String, String> fileTexts(RestfulServerClient client, JsonNode manifest, String kind) {
		Map<String, String> texts = new TreeMap<>();
		int index = 0;
		for (JsonNode file : manifest.path(kind)) {
			Answer download = client.get(file.path("url").asText());
			assertThat(download.status()).as(download.body()).isEqualTo(200);
			texts.put(file.path("type").asText("blocks") + "-" + index++, download.body());
		}
		return texts;
	}

	private static Set<String> ids(List<JsonNode> output) {
		Set<String> ids = new HashSet<>();
		output.forEach(r -> ids.add(r.path("resourceType").asText() + "/" + r.path("id").asText()));
		return ids;
	}

	private static Set<String> types(List<JsonNode> output) {
		Set<String> types = new HashSet<>();
		output.forEach(r -> types.add(r.path("resourceType").asText()));
		return types;
	}

	/** Every literal reference anywhere in the output. */
	private static List<String> references(List<JsonNode> output) {
		List<String> references = new ArrayList<>();
		output.forEach(resource -> resource.findValues("reference").forEach(value -> references.add(value.asText())));
		return references;
	}

	/** The pseudonym of an id under a key, computed here apart from the code under test. */
	static String hmac(String key, String value) {
		try {
			Mac mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
			return HexFormat.of().formatHex(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	/** The profiles the stored kick-off AuditEvents name. */
	private Set<String> auditedProfiles() {
		Set<String> profiles = new HashSet<>();
		var events = daoRegistry.getResourceDao(AuditEvent.class).search(new SearchParameterMap().setLoadSynchronous(true),
				new SystemRequestDetails());
		for (IBaseResource resource : events.getAllResources()) {
			for (var entity : ((AuditEvent) resource).getEntity()) {
				entity.getDetail().stream().filter(detail -> detail.getType().equals("deidProfile"))
						.forEach(detail -> profiles.add(detail.getValue().primitiveValue()));
			}
		}
		return profiles;
	}

	// Tokens

	private RestfulServerClient as(String client) {
		Map.Entry<String, Instant> token = tokens.get(client);
		if (token == null || token.getValue().isBefore(Instant.now().minusSeconds(120))) {
			token = Map.entry(token(client), Instant.now());
			tokens.put(client, token);
		}
		return anonymous.withHeaders("Authorization", "Bearer " + token.getKey());
	}

	private String token(String client) {
		Answer token = anonymous.postForm("auth/token", Map.of("grant_type", "client_credentials",
				"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
				"client_assertion", assertion(client), "scope", "system/*.rs"));
		assertThat(token.status()).as(token.body()).isEqualTo(200);
		return DeidTesting.json(token.body()).path("access_token").asText();
	}

	private static String assertion(String client) {
		try {
			JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(client).subject(client)
					.audience(RestfulServerClient.BASE + "/auth/token").jwtID(UUID.randomUUID().toString())
					.expirationTime(Date.from(Instant.now().plusSeconds(240))).build();
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(KEY.getKeyID()).build(), claims);
			jwt.sign(new ECDSASigner(KEY));
			return jwt.serialize();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}

	private static ECKey generateKey() {
		try {
			return new ECKeyGenerator(Curve.P_384).keyID("deid-test-key").generate();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}
}
