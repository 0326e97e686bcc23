package hapibulk.export;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.config.BulkConfiguration;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.StatusOptions;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.ActivityDefinition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a Bulk Data conformance run checks at the kick-off, status and file endpoints, through the host's real
 * RestfulServer, at every level (system, Patient, Patient/[id], Group/[id]) and by GET and POST; run in each
 * auth mode by a subclass, which sets {@code hapi.bulk.auth.mode}.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ExportKickOffConformanceChecks {

	private static final ObjectMapper JSON = new ObjectMapper();
	/** Every kick-off path, with the Group and Patient made below. */
	private static final List<String> LEVELS = List.of("$export", "Patient/$export", "Patient/p1/$export",
			"Group/g1/$export");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		Path files = Files.createTempDirectory("hapi-bulk-conformance-test");
		registry.add("hapi.bulk.file-directory", files::toString);
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.export.max-running-exports", () -> "1000");
	}

	@Autowired
	RestfulServer restfulServer;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	BulkJobTable table;

	RestfulServerClient client;

	/** How requests reach the server: as they are; with a bearer token in auth mode smart. */
	RestfulServerClient client(RestfulServer server) {
		return new RestfulServerClient(server);
	}

	/** The client id jobs of this client's requests are stored with (none without authorization). */
	String clientId() {
		return null;
	}

	@BeforeAll
	void loadData() throws Exception {
		client = client(restfulServer);
		SystemRequestDetails request = new SystemRequestDetails();
		Organization organization = new Organization();
		organization.setId("org-1");
		organization.setName("Referenced");
		daoRegistry.getResourceDao("Organization").update(organization, request);
		Organization unused = new Organization();
		unused.setId("org-unused");
		daoRegistry.getResourceDao("Organization").update(unused, request);
		Practitioner practitioner = new Practitioner();
		practitioner.setId("pr-1");
		daoRegistry.getResourceDao("Practitioner").update(practitioner, request);
		for (String id : List.of("p1", "p2", "p3")) {
			Patient patient = new Patient();
			patient.setId(id);
			patient.setActive(true);
			if (id.equals("p1")) {
				patient.getManagingOrganization().setReference("Organization/org-1");
			}
			daoRegistry.getResourceDao("Patient").update(patient, request);
		}
		Encounter encounter = new Encounter();
		encounter.setId("e1");
		encounter.setStatus(Encounter.EncounterStatus.FINISHED);
		encounter.getSubject().setReference("Patient/p1");
		encounter.addParticipant().getIndividual().setReference("Practitioner/pr-1");
		daoRegistry.getResourceDao("Encounter").update(encounter, request);
		Group group = new Group();
		group.setId("g1");
		group.setType(Group.GroupType.PERSON).setActual(true);
		group.addMember().getEntity().setReference("Patient/p1");
		group.addMember().getEntity().setReference("Patient/p2");
		daoRegistry.getResourceDao("Group").update(group, request);
		ActivityDefinition definition = new ActivityDefinition();
		definition.setId("ad-1");
		definition.setStatus(org.hl7.fhir.r4.model.Enumerations.PublicationStatus.ACTIVE);
		daoRegistry.getResourceDao("ActivityDefinition").update(definition, request);
	}

	// ---- 1. Accept --------------------------------------------------------------------------------

	@Test
	void kickOff_withoutAcceptOrWithAnotherTypeThanFhirJson_returns400_atEveryLevel_byGetAndPost() throws IOException {
		for (String level : LEVELS) {
			// STU3: application/fhir+json is the only type a kick-off supports; plain JSON is refused too.
			for (String accept : new String[] {null, "*/*", "application/*", "text/html", "application/fhir+json;q=0",
					"application/json", "application/json, */*;q=0.1", "application/json+fhir"}) {
				String[] headers = accept == null ? new String[] {"Prefer", "respond-async"}
						: new String[] {"Prefer", "respond-async", "Accept", accept};
				// when
				Answer get = client.get(level + "?_type=Patient", headers);
				Answer post = client.post(level, parameters(Map.of("_type", "Patient")), headers);
				// then
				for (Answer answer : List.of(get, post)) {
					assertThat(answer.status()).as(level + " Accept " + accept + ": " + answer.body()).isEqualTo(400);
					assertThat(json(answer).path("resourceType").asText()).isEqualTo("OperationOutcome");
					assertThat(answer.body()).contains("Accept").contains(accept == null ? "BULK-0102" : "BULK-0103");
				}
			}
		}
	}

	@Test
	void kickOff_acceptingFhirJson_returns202_atEveryLevel_byGetAndPost() throws IOException {
		for (String level : LEVELS) {
			for (String accept : List.of("application/fhir+json", "application/json;q=0.5, application/fhir+json",
					"application/fhir+json; charset=utf-8")) {
				// when
				Answer get = client.get(level + "?_type=Patient", "Prefer", "respond-async", "Accept", accept);
				Answer post = client.post(level, parameters(Map.of("_type", "Patient")), "Prefer", "respond-async",
						"Accept", accept);
				// then
				for (Answer answer : List.of(get, post)) {
					assertThat(answer.status()).as(level + " Accept " + accept + ": " + answer.body()).isEqualTo(202);
					client.delete(answer.header("Content-Location"));
				}
			}
		}
	}

	// ---- 2. _type at Patient and Group level ---------------------------------------------------------

	@Test
	void mixedTypes_atPatientAndGroupLevel_exportTheReferencedResourcesOfOutsideTypes() throws Exception {
		for (String level : List.of("Patient/$export", "Patient/p1/$export", "Group/g1/$export")) {
			// when
			Answer get = client.get(level + "?_type=Patient,Encounter,Organization,Practitioner,ActivityDefinition",
					kickOffHeaders());
			Answer post = client.post(level, parameters(Map.of("_type",
					"Patient,Encounter,Organization,Practitioner,ActivityDefinition")), kickOffHeaders());
			// then
			for (Answer answer : List.of(get, post)) {
				assertThat(answer.status()).as(level + ": " + answer.body()).isEqualTo(202);
				Map<String, List<String>> output = output(awaitManifest(answer));
				assertThat(output.get("Organization")).as(level).containsExactly("org-1");
				assertThat(output.get("Practitioner")).as(level).containsExactly("pr-1");
				assertThat(output).as(level + ": a type with nothing referenced gets no file")
						.doesNotContainKey("ActivityDefinition");
				assertThat(output.get("Encounter")).containsExactly("e1");
			}
		}
	}

	@Test
	void onlyOutsideTypes_atPatientAndGroupLevel_return400_orUnderLenient202WithAnErrorEntry() throws Exception {
		for (String level : List.of("Patient/$export", "Patient/p1/$export", "Group/g1/$export")) {
			// when
			Answer strict = client.get(level + "?_type=Organization,Practitioner", kickOffHeaders());
			Answer lenient = client.post(level, parameters(Map.of("_type", "Organization,Practitioner")),
					"Accept", "application/fhir+json", "Prefer", "respond-async, handling=lenient");
			// then
			assertThat(strict.status()).as(level + ": " + strict.body()).isEqualTo(400);
			assertThat(strict.body()).contains("BULK-0136").contains("Organization");
			assertThat(lenient.status()).as(level + ": " + lenient.body()).isEqualTo(202);
			JsonNode manifest = awaitManifest(lenient);
			assertThat(output(manifest).get("Organization")).containsExactly("org-1");
			assertThat(errorDiagnostics(manifest)).anySatisfy(text -> assertThat(text).contains("_type")
					.contains("BULK-0136"));
		}
	}

	@Test
	void unknownTypes_return400_orUnderLenientAreIgnoredAndReported() throws Exception {
		for (String level : LEVELS) {
			// when
			Answer strict = client.get(level + "?_type=Patient,NoSuchType", kickOffHeaders());
			Answer lenient = client.get(level + "?_type=Patient,NoSuchType", "Accept", "application/fhir+json",
					"Prefer", "respond-async; wait=10, handling=lenient");
			// then
			assertThat(strict.status()).as(level).isEqualTo(400);
			assertThat(strict.body()).contains("NoSuchType");
			assertThat(lenient.status()).as(level + ": " + lenient.body()).isEqualTo(202);
			JsonNode manifest = awaitManifest(lenient);
			assertThat(output(manifest)).containsOnlyKeys("Patient");
			assertThat(errorDiagnostics(manifest)).singleElement().satisfies(text -> assertThat(text)
					.contains("_type").contains("NoSuchType"));
		}
	}

	// ---- 3. _typeFilter the server cannot run ---------------------------------------------------------

	@Test
	void typeFiltersThatCannotRun_return400_orUnderLenientAreDroppedAndReported() throws Exception {
		List<String> filters = List.of("Patient%3Fstatus%3Dactive", "Encounter%3Fstatus%3Dfinished",
				"Patient%3F_sort%3Dname", "Patient%3F" + "name%3D" + "x".repeat(3000));
		for (String level : LEVELS) {
			for (String filter : filters) {
				// when
				Answer strict = client.get(level + "?_type=Patient&_typeFilter=" + filter, kickOffHeaders());
				Answer lenient = client.get(level + "?_type=Patient&_typeFilter=" + filter,
						"Accept", "application/fhir+json", "Prefer", "respond-async, handling=lenient");
				// then
				assertThat(strict.status()).as(level + " " + filter + ": " + strict.body()).isEqualTo(400);
				assertThat(strict.body()).contains("_typeFilter");
				assertThat(lenient.status()).as(level + " " + filter + ": " + lenient.body()).isEqualTo(202);
				JsonNode manifest = awaitManifest(lenient);
				assertThat(output(manifest)).containsKey("Patient");
				assertThat(errorDiagnostics(manifest)).singleElement().satisfies(text ->
						assertThat(text).contains("_typeFilter"));
			}
		}
	}

	@Test
	void lenient_reportsEachIgnoredParameterInItsOwnIssue() throws Exception {
		// when
		Answer answer = client.get("$export?_type=Patient,Nope&_typeFilter=Patient%3Fstatus%3Dactive&_outputSplit=3",
				"Accept", "application/fhir+json", "Prefer", "respond-async,handling=lenient");
		// then
		assertThat(answer.status()).as(answer.body()).isEqualTo(202);
		JsonNode manifest = awaitManifest(answer);
		List<JsonNode> outcomes = errorOutcomes(manifest);
		assertThat(outcomes).hasSize(3);
		assertThat(outcomes).extracting(outcome -> outcome.at("/issue/0/expression/0").asText())
				.containsExactlyInAnyOrder("_type", "_typeFilter", "_outputSplit");
	}

	// ---- 4. unknown patients --------------------------------------------------------------------------

	@Test
	void unknownPatients_return400_orUnderLenientContributeNothingAndAreReported() throws Exception {
		for (String level : List.of("Patient/$export", "Group/g1/$export")) {
			String body = "{\"resourceType\":\"Parameters\",\"parameter\":["
					+ "{\"name\":\"patient\",\"valueReference\":{\"reference\":\"Patient/p1\"}},"
					+ "{\"name\":\"patient\",\"valueReference\":{\"reference\":\"Patient/nobody\"}},"
					+ "{\"name\":\"patient\",\"valueReference\":{\"reference\":\"Patient/p3\"}},"
					+ "{\"name\":\"_type\",\"valueString\":\"Patient\"}]}";
			// when
			Answer strict = client.post(level, body, kickOffHeaders());
			Answer lenient = client.post(level, body, "Accept", "application/fhir+json",
					"Prefer", "respond-async", "Prefer", "handling=lenient");
			// then
			assertThat(strict.status()).as(level).isEqualTo(400);
			assertThat(lenient.status()).as(level + ": " + lenient.body()).isEqualTo(202);
			JsonNode manifest = awaitManifest(lenient);
			boolean group = level.startsWith("Group");
			assertThat(output(manifest).get("Patient")).as(level)
					.containsExactlyInAnyOrderElementsOf(group ? List.of("p1") : List.of("p1", "p3"));
			List<String> errors = errorDiagnostics(manifest);
			assertThat(errors).as(level).hasSize(group ? 2 : 1);
			assertThat(errors).anySatisfy(text -> assertThat(text).contains("Patient/nobody"));
			if (group) {
				assertThat(errors).anySatisfy(text -> assertThat(text).contains("Patient/p3").contains("member"));
			}
		}
	}

	// ---- 5. content types ------------------------------------------------------------------------------

	@Test
	void answersToAcceptJson_areApplicationJson_andOthersFhirJson() {
		// given
		Answer kickOff = client.get("$export?_type=Patient", kickOffHeaders());
		String status = kickOff.header("Content-Location");
		// when
		Answer cancel = client.delete(status, "Accept", "application/json");
		Answer again = client.delete(status, "Accept", "application/json");
		Answer againFhir = client.delete(status, "Accept", "application/fhir+json");
		Answer againNone = client.delete(status);
		Answer badKickOff = client.get("$export?_type=Nope", "Accept", "application/json", "Prefer", "respond-async");
		Answer noFile = client.get("$bulk-file?job=x&file=y", "Accept", "application/json");
		Answer badPage = client.get(status + "&page=abc", "Accept", "application/json");
		// then
		assertThat(cancel.status()).isEqualTo(202);
		assertThat(cancel.contentType()).isEqualTo("application/json");
		assertThat(again.status()).isEqualTo(404);
		assertThat(again.contentType()).isEqualTo("application/json");
		assertThat(againFhir.contentType()).isEqualTo("application/fhir+json");
		assertThat(againNone.contentType()).isEqualTo("application/fhir+json");
		assertThat(badKickOff.status()).isEqualTo(400);
		assertThat(badKickOff.contentType()).isEqualTo("application/json");
		assertThat(noFile.status()).isEqualTo(404);
		assertThat(noFile.contentType()).isEqualTo("application/json");
		assertThat(badPage.status()).isEqualTo(400);
		assertThat(badPage.contentType()).isEqualTo("application/json");
	}

	// ---- 6. strict parsing -----------------------------------------------------------------------------

	@Test
	void sinceWithoutTimeOrZone_orGivenTwice_returns400_atEveryLevel() {
		for (String level : LEVELS) {
			for (String query : List.of("_since=2020", "_since=2020-01-01T00:00:00", "_since=2020-01-01",
					"_since=2020-01-01T00:00:00Z&_since=2021-01-01T00:00:00Z", "_outputFormat=ndjson&_outputFormat=ndjson")) {
				// when
				Answer answer = client.get(level + "?" + query, kickOffHeaders());
				// then
				assertThat(answer.status()).as(level + "?" + query + ": " + answer.body()).isEqualTo(400);
				assertThat(answer.body()).contains("BULK-01");
			}
			Answer post = client.post(level, "{\"resourceType\":\"Parameters\",\"parameter\":["
					+ "{\"name\":\"_since\",\"valueInstant\":\"2020-01-01T00:00:00Z\"},"
					+ "{\"name\":\"_since\",\"valueInstant\":\"2021-01-01T00:00:00Z\"}]}", kickOffHeaders());
			assertThat(post.status()).as(level + ": " + post.body()).isEqualTo(400);
		}
	}

	@Test
	void postWhoseBodyIsNotParameters_returns400_atEveryLevel() {
		for (String level : LEVELS) {
			// when
			Answer answer = client.post(level, "{\"resourceType\":\"Patient\",\"active\":true}", kickOffHeaders());
			// then
			assertThat(answer.status()).as(level + ": " + answer.body()).isEqualTo(400);
			assertThat(answer.body()).contains("Parameters");
		}
	}

	@Test
	void preferWithPreferenceParameters_isAccepted_forExportAndImport() {
		// when
		Answer export = client.get("$export?_type=Patient", "Accept", "application/fhir+json",
				"Prefer", "respond-async; foo");
		Answer importKickOff = client.post("$import", "{\"resourceType\":\"Parameters\",\"parameter\":[{}]}",
				"Accept", "application/fhir+json", "Prefer", "respond-async; foo=bar");
		// then
		assertThat(export.status()).as(export.body()).isEqualTo(202);
		// Past the Prefer check: refused for its body, not for the header.
		assertThat(importKickOff.status()).isEqualTo(400);
		assertThat(importKickOff.body()).doesNotContain("respond-async");
		client.delete(export.header("Content-Location"));
	}

	@Test
	void repeatedJobOrFile_returns400() {
		// given
		Answer kickOff = client.get("$export?_type=Patient", kickOffHeaders());
		String status = kickOff.header("Content-Location");
		String jobId = status.substring(status.indexOf("job=") + 4);
		// when
		Answer statusTwice = client.get(status + "&job=" + jobId, "Accept", "application/fhir+json");
		Answer fileTwice = client.get("$bulk-file?job=" + jobId + "&job=" + jobId + "&file=Patient-1.ndjson");
		Answer fileNameTwice = client.get("$bulk-file?job=" + jobId + "&file=a&file=b");
		// then
		assertThat(statusTwice.status()).isEqualTo(400);
		assertThat(statusTwice.body()).contains("BULK-0207").contains("job");
		assertThat(fileTwice.status()).isEqualTo(400);
		assertThat(fileNameTwice.status()).isEqualTo(400);
		assertThat(fileNameTwice.body()).contains("file");
	}

	// ---- 7. 400 where it was 500, no internals -------------------------------------------------------

	@Test
	void malformedRequests_return400_notTheOld500() {
		String status = client.get("$export?_type=Patient", kickOffHeaders()).header("Content-Location");
		Map<String, Answer> answers = new TreeMap<>();
		answers.put("export parameter without name", client.post("Patient/$export",
				"{\"resourceType\":\"Parameters\",\"parameter\":[{\"valueString\":\"Patient\"}]}", kickOffHeaders()));
		answers.put("export parameter with null name", client.post("$export",
				"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":null,\"valueString\":\"Patient\"}]}",
				kickOffHeaders()));
		answers.put("import parameter without name", client.post("$import",
				"{\"resourceType\":\"Parameters\",\"parameter\":[{\"valueString\":\"x\"}]}", kickOffHeaders()));
		answers.put("page=abc", client.get(status + "&page=abc"));
		answers.put("page=99999999999", client.get(status + "&page=99999999999"));
		answers.put("page=0", client.get(status + "&page=0"));
		answers.put("_since=%ZZ", client.get("$export?_since=%ZZ", kickOffHeaders()));
		answers.put("status job=%ZZ", client.get("$bulk-status?job=%ZZ"));
		answers.put("5,000-character URL", client.get("$export?_type=Patient&_typeFilter=Patient%3Fname%3D"
				+ "a".repeat(300) + "&_elements=" + "id,".repeat(1500) + "id", kickOffHeaders()));
		answers.put("8,000-character URL", client.get("Group/g1/$export?_typeFilter="
				+ "Patient%3Fname%3Da,".repeat(400), kickOffHeaders()));
		answers.forEach((name, answer) -> {
			assertThat(answer.status()).as(name + ": " + answer.body()).isEqualTo(400);
			assertThat(json(answer).path("resourceType").asText()).isEqualTo("OperationOutcome");
			assertNoInternals(name, answer);
		});
	}

	@Test
	void failedJobStatus_showsCodeAndCorrelationId_notTheStoredReason() {
		// given a failed job whose stored reason holds what must not leak
		String id = "failedjob" + System.nanoTime();
		table.insert(new BulkJob(id, BulkJobKind.EXPORT, BulkJobState.FAILED, clientId(), "http://localhost/fhir/$export",
				"{}", Instant.now(), Instant.now(), null, null, 0, 0, null,
				"BadSqlGrammarException: INSERT INTO BULK_JOB ... at /var/lib/hapi/files on db.internal.example:5432",
				new StatusOptions(false, false, null)));
		// when
		Answer answer = client.get("$bulk-status?job=" + id, "Accept", "application/fhir+json");
		// then
		assertThat(answer.status()).isEqualTo(500);
		assertThat(answer.body()).contains("BULK-0202").contains(id)
				.doesNotContain("INSERT").doesNotContain("/var/lib").doesNotContain("db.internal");
	}

	static void assertNoInternals(String name, Answer answer) {
		assertThat(answer.body()).as(name)
				.doesNotContainIgnoringCase("exception")
				.doesNotContain("INSERT INTO").doesNotContain("SELECT ").doesNotContain("\tat ")
				.doesNotContain("/tmp/").doesNotContain("/root/").doesNotContain("java.");
	}

	// ---- helpers ----------------------------------------------------------------------------------------

	private JsonNode awaitManifest(Answer kickOff) {
		String status = kickOff.header("Content-Location");
		assertThat(status).as(kickOff.body()).isNotNull();
		List<Answer> last = new ArrayList<>(List.of(kickOff));
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> {
			Answer answer = client.get(status);
			last.set(0, answer);
			return answer.status() != 202;
		});
		assertThat(last.get(0).status()).as(last.get(0).body()).isEqualTo(200);
		return json(last.get(0));
	}

	/** Each output type's exported ids. */
	private Map<String, List<String>> output(JsonNode manifest) {
		Map<String, List<String>> ids = new TreeMap<>();
		for (JsonNode file : manifest.path("output")) {
			for (String line : client.get(file.path("url").asText()).body().split("\n")) {
				if (!line.isBlank()) {
					ids.computeIfAbsent(file.path("type").asText(), type -> new ArrayList<>())
							.add(parse(line).path("id").asText());
				}
			}
		}
		return ids;
	}

	private List<JsonNode> errorOutcomes(JsonNode manifest) {
		List<JsonNode> outcomes = new ArrayList<>();
		for (JsonNode file : manifest.path("error")) {
			for (String line : client.get(file.path("url").asText()).body().split("\n")) {
				if (!line.isBlank()) {
					outcomes.add(parse(line));
				}
			}
		}
		return outcomes;
	}

	private List<String> errorDiagnostics(JsonNode manifest) {
		return errorOutcomes(manifest).stream().map(outcome -> outcome.at("/issue/0/diagnostics").asText()).toList();
	}

	static String parameters(Map<String, String> strings) {
		StringBuilder body = new StringBuilder("{\"resourceType\":\"Parameters\",\"parameter\":[");
		strings.forEach((name, value) -> body.append("{\"name\":\"").append(name).append("\",\"valueString\":\"")
				.append(value).append("\"},"));
		if (!strings.isEmpty()) {
			body.setLength(body.length() - 1);
		}
		return body.append("]}").toString();
	}

	static JsonNode json(Answer answer) {
		return parse(answer.body());
	}

	static JsonNode parse(String text) {
		try {
			return JSON.readTree(text);
		} catch (IOException e) {
			throw new AssertionError("Not JSON: " + text, e);
		}
	}
}
