package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample WAR started with {@code java -jar}, on H2 (or PostgreSQL with -Ppostgres). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JavaJarSystemExportIT {

	private final int port = WarProcess.freePort();
	private Path workDir;
	private ItDatabase database;
	private WarProcess server;
	/** The README walk-through's import directory: nothing else here imports, so every test runs with it. */
	private String[] readmeArguments;
	private SystemExportScenario.Result export;

	@BeforeAll
	void startServer() throws Exception {
		workDir = Files.createTempDirectory(Path.of("target"), "java-jar-it-");
		database = ItDatabase.fresh(workDir);
		readmeArguments = ReadmeWalkThrough.serverArguments(workDir).toArray(String[]::new);
		server = WarProcess.start(workDir, port, database, readmeArguments);
		System.out.printf("[hapi-bulk-it] java -jar start-up: %d ms%n", server.startupTime().toMillis());
	}

	@AfterAll
	void stopServer() throws InterruptedException {
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
	}

	@Test
	@Order(1)
	void systemExport_returnsEveryLoadedResourceOnce() throws InterruptedException {
		export = SystemExportScenario.run(server.http());
	}

	@Test
	@Order(2)
	void download_withAcceptEncodingGzip_isCompressed() throws IOException {
		JsonNode output = export.manifest().get("output").get(0);
		HttpResponse<byte[]> gzipped = server.http().getBytes(output.get("url").asText(), "Accept-Encoding", "gzip");

		assertThat(gzipped.statusCode()).isEqualTo(200);
		assertThat(gzipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
		try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
			long lines = new String(in.readAllBytes()).lines().count();
			assertThat(lines).isEqualTo(output.get("count").asLong());
		}
	}

	/** Right after the first export (the download test before it starts no job): the meters say what it did. */
	@Test
	@Order(2)
	void actuatorPrometheus_countsTheExportsResourcesPerType_andHealthShowsOnlyItsStatus() {
		HttpResponse<String> scrape = server.http().get(server.managementBase() + "/prometheus");
		assertThat(scrape.statusCode()).isEqualTo(200);
		Map<String, Double> resources = new TreeMap<>();
		Pattern line = Pattern.compile(
				"hapi_bulk_resources_total\\{[^}]*kind=\"export\"[^}]*type=\"([A-Za-z]+)\"[^}]*} (\\S+)");
		scrape.body().lines().map(line::matcher).filter(Matcher::matches)
				.forEach(match -> resources.put(match.group(1), Double.parseDouble(match.group(2))));
		Map<String, Double> expected = new TreeMap<>();
		export.manifest().get("output").forEach(output -> expected.merge(output.get("type").asText(),
				output.get("count").asDouble(), Double::sum));
		assertThat(resources).isEqualTo(expected).isNotEmpty();
		// Spring Batch's meters of our jobs stay off the host's registry (Actuator's observability included).
		assertThat(scrape.body()).doesNotContain("spring_batch_job_name=\"bulkExportJob\"");

		HttpResponse<String> health = server.http().get(server.managementBase() + "/health");
		assertThat(health.statusCode()).isEqualTo(200);
		assertThat(FhirHttp.json(health).get("status").asText()).isEqualTo("UP");
		assertThat(FhirHttp.json(health).has("components")).isFalse();
		assertThat(server.http().get(server.managementBase() + "/env").statusCode()).isEqualTo(404);
		// and the API port serves none of it
		assertThat(server.http().get("http://localhost:" + port + "/actuator/prometheus").statusCode()).isEqualTo(404);
	}

	@Test
	@Order(3)
	void invalidKickOffs_areRefusedWithOperationOutcomes() {
		assertRefused(server.http().get("$export", "Accept", "application/fhir+json"), 400, "respond-async");
		assertRefused(server.http().get("$export?_type=Patient,NoSuchType", "Prefer", "respond-async",
				"Accept", "application/fhir+json"), 400, "NoSuchType");
		assertRefused(server.http().get("$export?_outputFormat=text/csv", "Prefer", "respond-async",
				"Accept", "application/fhir+json"), 400, "_outputFormat");
		assertRefused(server.http().get("$export?_since=2999-01-01T00:00:00Z", "Prefer", "respond-async",
				"Accept", "application/fhir+json"), 400, "future");
		assertRefused(server.http().get("$export?_unknown=1", "Prefer", "respond-async",
				"Accept", "application/fhir+json"), 400, "_unknown");
		assertRefused(server.http().get("$bulk-status?job=0123456789abcdef0123456789abcdef"), 404, "No bulk job");
		assertRefused(server.http().get("Group/no-such-group/$export", ASYNC), 404, "Group/no-such-group");
		assertRefused(server.http().get("Patient/no-such-patient/$export", ASYNC), 404, "Patient/no-such-patient");
		assertRefused(server.http().get("Patient/$export?_type=Organization", ASYNC), 400, "Organization");
		assertRefused(server.http().post("$export", parameters(reference("patient", "Patient/" + patientIds().get(0))),
				POST_ASYNC), 400, "patient");
		assertRefused(server.http().post("Patient/$export", parameters(reference("patient", "Patient/nobody")),
				POST_ASYNC), 400, "Patient/nobody");
		assertRefused(server.http().post("$export", parameters(string("organizeOutputBy", "Encounter")),
				POST_ASYNC), 400, "organizeOutputBy");
		assertRefused(server.http().get("$export?organizeOutputBy=Patient&_type=Patient,Organization", ASYNC), 400,
				"Organization");
		assertRefused(server.http().get("$export?_typeFilter=Encounter%3F_sort%3Ddate", ASYNC), 400, "_sort");
		assertRefused(server.http().get("$export?includeAssociatedData=_custom", ASYNC), 400, "includeAssociatedData");
	}

	@Test
	@Order(8)
	void lenientHandling_ignoresUnsupportedParameters_andReportsThemInTheErrorFile() throws InterruptedException {
		HttpResponse<String> kickOff = server.http().get("$export?_type=Organization&_outputSplit=10",
				"Prefer", "respond-async, handling=lenient", "Accept", "application/fhir+json");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);

		JsonNode manifest = new BulkExportClient(server.http()).awaitManifest(
				kickOff.headers().firstValue("Content-Location").orElseThrow(), Duration.ofMinutes(2));

		assertThat(manifest.get("output")).singleElement().satisfies(output ->
				assertThat(output.get("count").asInt()).isEqualTo(43));
		assertThat(manifest.get("error")).singleElement().satisfies(error -> {
			assertThat(error.get("type").asText()).isEqualTo("OperationOutcome");
			HttpResponse<byte[]> file = server.http().getBytes(error.get("url").asText());
			JsonNode outcome = FhirHttp.parse(new String(file.body()).strip());
			assertThat(outcome.at("/issue/0/severity").asText()).isEqualTo("warning");
			assertThat(outcome.at("/issue/0/diagnostics").asText()).contains("_outputSplit");
		});
	}

	@Test
	@Order(9)
	void typeFilter_narrowsItsTypeWithTheServersSearch() throws InterruptedException {
		Map<String, ObjectNode> exported = export(server.http().get(
				"$export?_type=Encounter,Organization&_typeFilter=Encounter%3Fclass%3DEMER", ASYNC));

		List<String> expected = new ArrayList<>();
		SyntheaDataset.tenPatients().resources().forEach((key, resource) -> {
			if (key.startsWith("Organization/")
					|| key.startsWith("Encounter/") && resource.at("/class/code").asText().equals("EMER")) {
				expected.add(key);
			}
		});
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(expected);
	}

	@Test
	@Order(4)
	void groupExport_postedAsParameters_exportsTheCompartmentsOfItsMembers() throws InterruptedException {
		List<String> members = patientIds().subList(0, 2);
		ObjectNode group = FhirHttp.JSON.createObjectNode().put("resourceType", "Group").put("id", "it-group")
				.put("type", "person").put("actual", true);
		members.forEach(id -> group.withArray("member").addObject().putObject("entity").put("reference", "Patient/" + id));
		assertThat(server.http().put("Group/it-group", group.toString(), "Content-Type", "application/fhir+json")
				.statusCode()).isIn(200, 201);

		Map<String, ObjectNode> exported = export(server.http().post("Group/it-group/$export",
				parameters(string("_type", "Patient,Encounter")), POST_ASYNC));

		List<String> expected = new ArrayList<>(members.stream().map(id -> "Patient/" + id).toList());
		members.forEach(id -> expected.addAll(referencing("Encounter", "subject", id)));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(expected);
	}

	@Test
	@Order(5)
	void patientInstanceExport_exportsThatPatientsCompartmentOnly() throws InterruptedException {
		String patientId = patientIds().get(3);

		Map<String, ObjectNode> exported = export(server.http().get(
				"Patient/" + patientId + "/$export?_type=Patient,Condition,MedicationRequest", ASYNC));

		List<String> expected = new ArrayList<>(List.of("Patient/" + patientId));
		expected.addAll(referencing("Condition", "subject", patientId));
		expected.addAll(referencing("MedicationRequest", "subject", patientId));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(expected);
	}

	@Test
	@Order(6)
	void patientExport_withPatientParameter_exportsTheListedPatientsOnly() throws InterruptedException {
		List<String> listed = patientIds().subList(4, 6);

		Map<String, ObjectNode> exported = export(server.http().post("Patient/$export", parameters(
				reference("patient", "Patient/" + listed.get(0)), reference("patient", "Patient/" + listed.get(1)),
				string("_type", "Patient")), POST_ASYNC));

		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(listed.stream().map(id -> "Patient/" + id).toList());
	}

	@Test
	@Order(7)
	void pollingFasterThanRetryAfter_isAnswered429() throws InterruptedException {
		String statusUrl = new BulkExportClient(server.http()).kickOff("");
		HttpResponse<String> first = server.http().get(statusUrl);
		HttpResponse<String> second = server.http().get(statusUrl);

		assertThat(first.statusCode()).isEqualTo(202);
		assertThat(second.statusCode()).isEqualTo(429);
		assertThat(second.headers().firstValue("Retry-After")).isPresent();
		assertThat(FhirHttp.json(second).at("/issue/0/code").asText()).isEqualTo("throttled");
		new BulkExportClient(server.http()).awaitManifest(statusUrl, Duration.ofMinutes(2));
	}

	/**
	 * Inferno's Bulk Data v2 steps for each kick-off level: every _outputFormat alias and a _since of a
	 * week ago (offset sent as %2B) are accepted, and a running export that is DELETEd answers 202 and
	 * then 404 with an OperationOutcome.
	 */
	@Test
	@Order(11)
	void infernoSteps_outputFormats_since_andCancel_atEveryLevel() {
		String weekAgo = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusDays(7).withNano(0)
				.toString().replace("Z", "%2B00:00");
		for (String level : List.of("$export", "Patient/$export", "Group/it-group/$export")) {
			for (String query : List.of("?_outputFormat=application%2Ffhir%2Bndjson", "?_outputFormat=application%2Fndjson",
					"?_outputFormat=ndjson", "?_since=" + weekAgo)) {
				HttpResponse<String> kickOff = server.http().get(level + query, ASYNC);
				assertThat(kickOff.statusCode()).as(level + query + ": " + kickOff.body()).isEqualTo(202);
				String statusUrl = kickOff.headers().firstValue("Content-Location").orElseThrow();

				assertThat(server.http().delete(statusUrl).statusCode()).as(level + query).isEqualTo(202);
				assertRefused(server.http().get(statusUrl, "Accept", "application/json"), 404, "No bulk job");
			}
		}
	}

	/**
	 * STU3: output organised in patient blocks (POSTed), with the status of the job apart from the status
	 * of the status request ({@code Prefer: separate-export-status}).
	 */
	@Test
	@Order(12)
	void organizeOutputByPatient_withSeparateExportStatus() throws InterruptedException {
		HttpResponse<String> kickOff = server.http().post("Patient/$export",
				parameters(string("organizeOutputBy", "Patient"), string("_type", "Patient,Encounter,Condition")),
				"Prefer", "respond-async, separate-export-status", "Accept", "application/fhir+json",
				"Content-Type", "application/fhir+json");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		assertThat(kickOff.headers().allValues("Preference-Applied")).singleElement().satisfies(applied ->
				assertThat(applied).contains("respond-async").contains("separate-export-status"));
		String statusUrl = kickOff.headers().firstValue("Content-Location").orElseThrow();

		HttpResponse<String> status = server.http().get(statusUrl, "Accept", "application/json");
		for (int polls = 0; status.statusCode() == 200
				&& status.headers().firstValue("X-Export-Status").orElseThrow().equals("202 Accepted"); polls++) {
			assertThat(polls).as("export still running").isLessThan(60);
			Thread.sleep(2000);
			status = server.http().get(statusUrl, "Accept", "application/json");
		}
		assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
		assertThat(status.headers().firstValue("X-Export-Status")).hasValue("200 OK");
		JsonNode manifest = FhirHttp.json(status);
		assertThat(manifest.get("outputOrganizedBy").asText()).isEqualTo("Patient");

		List<String> exported = new ArrayList<>();
		String patient = null;
		for (JsonNode output : manifest.get("output")) {
			assertThat(output.has("type")).as("files of blocks have no type").isFalse();
			HttpResponse<byte[]> file = server.http().getBytes(output.get("url").asText());
			for (String line : new String(file.body(), java.nio.charset.StandardCharsets.UTF_8).lines().toList()) {
				JsonNode resource = FhirHttp.parse(line);
				String type = resource.get("resourceType").asText();
				if (type.equals("Parameters")) {
					patient = resource.at("/parameter/0/valueReference/reference").asText();
					continue;
				}
				String key = type + "/" + resource.get("id").asText();
				String owner = type.equals("Patient") ? key
						: resource.path(type.equals("Encounter") || type.equals("Condition") ? "subject" : "patient")
								.path("reference").asText();
				assertThat(owner).as(key + " in the block of " + patient).isEqualTo(patient);
				exported.add(key);
			}
		}
		List<String> expected = SyntheaDataset.tenPatients().resources().keySet().stream()
				.filter(key -> key.startsWith("Patient/") || key.startsWith("Encounter/") || key.startsWith("Condition/"))
				.toList();
		assertThat(exported).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
	}

	/** STU3 partial manifests: every page handed out is followed through its links, and together they hold the export. */
	@Test
	@Order(13)
	void allowPartialManifests_pagesTogetherHoldEveryFileOnce() throws InterruptedException {
		HttpResponse<String> kickOff = server.http().post("$export",
				"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"allowPartialManifests\",\"valueBoolean\":true}]}",
				POST_ASYNC);
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);

		List<JsonNode> pages = new ArrayList<>();
		String url = kickOff.headers().firstValue("Content-Location").orElseThrow();
		for (int polls = 0; url != null; polls++) {
			assertThat(polls).as("pages within 2 minutes").isLessThan(60);
			HttpResponse<String> response = server.http().get(url, "Accept", "application/json");
			assertThat(response.statusCode()).as(response.body()).isIn(200, 202, 429);
			boolean manifest = response.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
			if (manifest) {
				JsonNode page = FhirHttp.json(response);
				pages.add(page);
				url = page.has("link") ? page.at("/link/0/url").asText() : null;
				assertThat(url != null || response.statusCode() == 200).as("only the last page has no link").isTrue();
			}
			if (url != null && response.statusCode() != 200) {
				Thread.sleep(1000L * Long.parseLong(response.headers().firstValue("Retry-After").orElse("2")));
			}
		}
		assertThat(pages).extracting(page -> page.get("transactionTime").asText()).containsOnly(
				pages.get(0).get("transactionTime").asText());

		Map<String, List<String>> lines = new java.util.TreeMap<>();
		List<String> urls = new ArrayList<>();
		for (JsonNode page : pages) {
			for (JsonNode output : page.get("output")) {
				urls.add(output.get("url").asText());
				HttpResponse<byte[]> file = server.http().getBytes(output.get("url").asText());
				lines.computeIfAbsent(output.get("type").asText(), type -> new ArrayList<>())
						.addAll(new String(file.body(), java.nio.charset.StandardCharsets.UTF_8).lines().toList());
			}
		}
		assertThat(urls).doesNotHaveDuplicates();
		assertThat(BulkExportClient.byId(lines).keySet()).containsAll(SyntheaDataset.tenPatients().resources().keySet());
	}

	/** _since and _until bound lastUpdated; _elements subsets and tags; includeAssociatedData adds Provenance. */
	@Test
	@Order(14)
	void sinceUntil_elements_andIncludeAssociatedData() throws InterruptedException {
		String patientId = patientIds().get(2);
		String before = java.time.Instant.now().toString();
		Thread.sleep(20);
		ObjectNode added = FhirHttp.JSON.createObjectNode().put("resourceType", "Patient").put("id", "it-added")
				.put("gender", "female");
		assertThat(server.http().put("Patient/it-added", added.toString(), "Content-Type", "application/fhir+json")
				.statusCode()).isIn(200, 201);
		ObjectNode provenance = FhirHttp.JSON.createObjectNode().put("resourceType", "Provenance").put("id", "it-prov")
				.put("recorded", "2024-01-01T00:00:00Z");
		provenance.putArray("target").addObject().put("reference", "Patient/" + patientId);
		provenance.putArray("agent").addObject().putObject("who").put("reference", "Patient/" + patientId);
		assertThat(server.http().put("Provenance/it-prov", provenance.toString(), "Content-Type", "application/fhir+json")
				.statusCode()).isIn(200, 201);

		assertThat(export(server.http().get("$export?_type=Patient&_since=" + before, ASYNC)).keySet())
				.containsExactly("Patient/it-added");
		assertThat(export(server.http().get("$export?_type=Patient&_until=" + before, ASYNC)).keySet())
				.containsExactlyInAnyOrderElementsOf(patientIds().stream().map(id -> "Patient/" + id).toList());

		Map<String, ObjectNode> subsetted = export(server.http().get(
				"$export?_type=Patient,Encounter&_elements=Patient.gender,Encounter.status", ASYNC));
		assertThat(subsetted.get("Patient/it-added").fieldNames()).toIterable()
				.containsExactlyInAnyOrder("resourceType", "id", "gender");
		subsetted.values().stream().filter(resource -> resource.get("resourceType").asText().equals("Encounter"))
				.forEach(encounter -> assertThat(encounter.fieldNames()).toIterable()
						.as("status asked for, class mandatory").containsExactlyInAnyOrder("resourceType", "id", "status", "class"));

		assertThat(export(server.http().get("Patient/" + patientId
				+ "/$export?_type=Patient&includeAssociatedData=RelevantProvenanceResources", ASYNC)).keySet())
				.containsExactlyInAnyOrder("Patient/" + patientId, "Provenance/it-prov");
		assertThat(server.http().delete("Provenance/it-prov").statusCode()).isIn(200, 204);
	}

	/**
	 * README.md's walk-through, every curl command parsed from it and run in order as a new user would (the server's
	 * working directory standing for the repository root), and the start-up line it quotes. Last: it adds data.
	 */
	@Test
	@Order(15)
	void readmeWalkThrough_runsAsWritten() throws Exception {
		ReadmeWalkThrough walkThrough = new ReadmeWalkThrough(server.http(), workDir);
		walkThrough.run();
		walkThrough.assertLogged(server.log());
	}

	private static final String[] ASYNC = {"Prefer", "respond-async", "Accept", "application/fhir+json"};
	private static final String[] POST_ASYNC = {"Prefer", "respond-async", "Accept", "application/fhir+json",
			"Content-Type", "application/fhir+json"};

	private Map<String, ObjectNode> export(HttpResponse<String> kickOff) throws InterruptedException {
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		BulkExportClient client = new BulkExportClient(server.http());
		JsonNode manifest = client.awaitManifest(kickOff.headers().firstValue("Content-Location").orElseThrow(),
				Duration.ofMinutes(2));
		return BulkExportClient.byId(client.download(manifest));
	}

	private static List<String> patientIds() {
		return SyntheaDataset.tenPatients().resources().keySet().stream()
				.filter(key -> key.startsWith("Patient/"))
				.map(key -> key.substring("Patient/".length()))
				.toList();
	}

	/** Keys of the dataset's resources of {@code type} whose {@code field} references the patient. */
	private static List<String> referencing(String type, String field, String patientId) {
		return SyntheaDataset.tenPatients().resources().entrySet().stream()
				.filter(e -> e.getKey().startsWith(type + "/"))
				.filter(e -> e.getValue().path(field).path("reference").asText().equals("Patient/" + patientId))
				.map(Map.Entry::getKey)
				.toList();
	}

	private static String parameters(ObjectNode... parameters) {
		ObjectNode body = FhirHttp.JSON.createObjectNode().put("resourceType", "Parameters");
		for (ObjectNode parameter : parameters) {
			body.withArray("parameter").add(parameter);
		}
		return body.toString();
	}

	private static ObjectNode string(String name, String value) {
		return FhirHttp.JSON.createObjectNode().put("name", name).put("valueString", value);
	}

	private static ObjectNode reference(String name, String reference) {
		ObjectNode parameter = FhirHttp.JSON.createObjectNode().put("name", name);
		parameter.putObject("valueReference").put("reference", reference);
		return parameter;
	}

	private static void assertRefused(HttpResponse<String> response, int status, String mentioning) {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		JsonNode outcome = FhirHttp.json(response);
		assertThat(outcome.get("resourceType").asText()).isEqualTo("OperationOutcome");
		assertThat(outcome.at("/issue/0/diagnostics").asText()).contains(mentioning);
	}
}
