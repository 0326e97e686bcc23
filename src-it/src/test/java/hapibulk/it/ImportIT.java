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

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code $import} over real HTTP against the packaged WAR ({@code java -jar}), inputs served by a
 * local HTTP server: the Synthea data into an empty server, a round trip into a second empty server
 * (export → import → export), bad lines, refused kick-offs, source credentials and cancel.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImportIT {

	private final int portA = WarProcess.freePort();
	private final int portB = WarProcess.freePort();
	private Path workDir;
	private Path importDirectory;
	private NdjsonFileServer files;
	private ItDatabase databaseA;
	private ItDatabase databaseB;
	private WarProcess serverA;
	private WarProcess serverB;
	private final SyntheaDataset dataset = SyntheaDataset.tenPatients();
	private JsonNode exportOfA;

	@BeforeAll
	void start() throws Exception {
		workDir = Files.createTempDirectory(Path.of("target"), "import-it-");
		importDirectory = Files.createDirectories(workDir.resolve("import"));
		files = NdjsonFileServer.start(Files.createDirectories(workDir.resolve("served")));
		databaseA = ItDatabase.fresh(workDir.resolve("a"));
		serverA = WarProcess.start(workDir.resolve("a"), portA, databaseA,
				"--hapi.bulk.import.allowed-sources=" + files.url("allowed/"), "--hapi.bulk.retry-after=1s");
	}

	@AfterAll
	void stop() throws InterruptedException {
		for (WarProcess server : new WarProcess[] {serverA, serverB}) {
			if (server != null) {
				server.close();
			}
		}
		for (ItDatabase database : new ItDatabase[] {databaseA, databaseB}) {
			if (database != null) {
				database.drop().run();
			}
		}
		if (files != null) {
			files.close();
		}
	}

	@Test
	@Order(1)
	void synthea_inReverseDependencyOrder_isStoredSearchableAndIdentical() throws Exception {
		// given: every type's file on the HTTP server, referrers first; Encounter gzip-compressed
		List<Map.Entry<String, String>> inputs = new ArrayList<>();
		List<String> referrersFirst = new ArrayList<>(SyntheaDataset.DEPENDENCY_ORDER);
		java.util.Collections.reverse(referrersFirst);
		Path datasetDir = Path.of(System.getProperty("hapibulk.datasets", "datasets")).resolve("synthea-10-patients");
		for (String type : referrersFirst) {
			String name = "allowed/synthea/" + type + (type.equals("Encounter") ? ".ndjson.gz" : ".ndjson");
			Path target = files.directory().resolve(name);
			Files.createDirectories(target.getParent());
			if (name.endsWith(".gz")) {
				try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(target))) {
					Files.copy(datasetDir.resolve(type + ".000.ndjson"), out);
				}
			} else {
				Files.copy(datasetDir.resolve(type + ".000.ndjson"), target);
			}
			inputs.add(Map.entry(type, files.url(name)));
		}
		BulkImportClient client = new BulkImportClient(serverA.http());

		// when
		long started = System.nanoTime();
		JsonNode manifest = client.awaitManifest(client.kickOff(BulkImportClient.parameters(inputs)),
				Duration.ofMinutes(10));
		double seconds = (System.nanoTime() - started) / 1e9;
		System.out.printf("[hapi-bulk-it] $import of %d Synthea resources (%s): %.1f s, %.0f resources/s%n",
				dataset.size(), System.getProperty("hapibulk.test.db", "h2"), seconds, dataset.size() / seconds);

		// then: one output entry per input with every line counted, no errors
		assertThat(manifest.get("transactionTime").asText()).isNotBlank();
		assertThat(manifest.get("request").asText()).isEqualTo(serverA.http().base() + "/$import");
		assertThat(manifest.get("error")).isEmpty();
		assertThat(manifest.get("output")).hasSize(inputs.size());
		Map<String, Long> linesByType = new HashMap<>();
		dataset.resources().keySet().forEach(key -> linesByType.merge(key.split("/")[0], 1L, Long::sum));
		for (JsonNode output : manifest.get("output")) {
			String type = output.get("type").asText();
			assertThat(output.get("count").asLong()).as(type).isEqualTo(linesByType.get(type));
			assertThat(output.get("inputUrl").asText()).contains("/allowed/synthea/" + type);
		}

		// and: an export holds exactly the dataset, content identical (match URLs resolved, meta aside)
		BulkExportClient exporter = new BulkExportClient(serverA.http());
		exportOfA = exporter.awaitManifest(exporter.kickOff(""), Duration.ofMinutes(5));
		SystemExportScenario.assertManifestHoldsExactly(serverA.http(), exportOfA, dataset);

		// and: searchable, with meta.source = inputSource
		String patient = dataset.resources().keySet().stream().filter(k -> k.startsWith("Patient/")).findFirst()
				.orElseThrow();
		long encounters = dataset.resources().values().stream()
				.filter(r -> r.get("resourceType").asText().equals("Encounter"))
				.filter(r -> r.at("/subject/reference").asText().equals(patient)).count();
		JsonNode search = FhirHttp.json(serverA.http().get("Encounter?subject=" + patient + "&_summary=count",
				"Accept", "application/fhir+json"));
		assertThat(search.get("total").asLong()).isEqualTo(encounters).isPositive();
		JsonNode read = FhirHttp.json(serverA.http().get(patient, "Accept", "application/fhir+json"));
		assertThat(read.at("/meta/source").asText()).isEqualTo(BulkImportClient.SOURCE);
	}

	@Test
	@Order(2)
	void roundTrip_exportImportedIntoAnEmptyServer_exportsTheSameResources() throws Exception {
		// given: a second, empty server that may read the first one's files
		databaseB = ItDatabase.fresh(workDir.resolve("b"));
		serverB = WarProcess.start(workDir.resolve("b"), portB, databaseB,
				"--hapi.bulk.import.allowed-sources=" + files.url("allowed/") + "," + serverA.http().base() + "/",
				"--hapi.bulk.import.directory=" + importDirectory.toAbsolutePath(),
				"--hapi.bulk.import.source-credentials[0].prefix=" + files.url("allowed/secure/"),
				"--hapi.bulk.import.source-credentials[0].bearer-token=" + NdjsonFileServer.TOKEN,
				"--hapi.bulk.import.max-line-length=64KB",
				"--hapi.bulk.retry-after=1s");
		// The data goes round; the servers' own audit trails (AuditEvents of their kick-offs, with
		// server-assigned numeric ids that another HAPI server refuses from clients) are not part of it.
		ObjectNode dataOfA = exportOfA.deepCopy();
		com.fasterxml.jackson.databind.node.ArrayNode dataOutputs = dataOfA.putArray("output");
		exportOfA.get("output").forEach(output -> {
			if (!output.get("type").asText().equals("AuditEvent")) {
				dataOutputs.add(output);
			}
		});
		List<Map.Entry<String, String>> inputs = new ArrayList<>();
		dataOutputs.forEach(output -> inputs.add(Map.entry(output.get("type").asText(), output.get("url").asText())));
		java.util.Collections.reverse(inputs);

		// when
		BulkImportClient client = new BulkImportClient(serverB.http());
		JsonNode imported = client.awaitManifest(client.kickOff(BulkImportClient.parameters(inputs)),
				Duration.ofMinutes(10));
		BulkExportClient exporter = new BulkExportClient(serverB.http());
		JsonNode exportOfB = exporter.awaitManifest(exporter.kickOff(datasetTypes()), Duration.ofMinutes(5));

		// then
		assertThat(imported.get("error")).isEmpty();
		Map<String, ObjectNode> fromA = BulkExportClient.byId(new BulkExportClient(serverA.http()).download(dataOfA));
		Map<String, ObjectNode> fromB = BulkExportClient.byId(exporter.download(exportOfB));
		assertThat(fromB.keySet()).containsExactlyInAnyOrderElementsOf(fromA.keySet()).hasSize(dataset.size());
		fromA.forEach((key, resource) -> assertThat(fromB.get(key)).as(key).isEqualTo(resource));
	}

	@Test
	@Order(3)
	void badLines_smartJsonBody_answer200WithAnErrorFile_andTheGoodLinesKept() throws Exception {
		// given
		List<String> lines = List.of(
				"{\"resourceType\":\"Organization\",\"id\":\"it-org-1\",\"name\":\"Kept one\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"it-org-2\",",
				"{\"resourceType\":\"Patient\",\"id\":\"it-pat-1\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"it-org-3\",\"name\":\"" + "x".repeat(70_000) + "\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"it-org-4\",\"partOf\":{\"reference\":\"Organization/none\"}}",
				"{\"resourceType\":\"Organization\",\"id\":\"it-org-5\",\"name\":\"Kept two\"}");
		Path file = files.directory().resolve("allowed/bad/Organization.ndjson");
		Files.createDirectories(file.getParent());
		Files.writeString(file, String.join("\n", lines) + "\n");
		String url = files.url("allowed/bad/Organization.ndjson");
		String smartBody = "{\"inputFormat\":\"application/fhir+ndjson\",\"inputSource\":\"" + BulkImportClient.SOURCE
				+ "\",\"storageDetail\":{\"type\":\"https\"},\"input\":[{\"type\":\"Organization\",\"url\":\"" + url + "\"}]}";
		BulkImportClient client = new BulkImportClient(serverB.http());

		// when
		HttpResponse<String> kickOff = serverB.http().post("$import", smartBody, "Prefer", "respond-async",
				"Accept", "application/fhir+json", "Content-Type", "application/json");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		JsonNode manifest = client.awaitManifest(kickOff.headers().firstValue("Content-Location").orElseThrow(),
				Duration.ofMinutes(3));

		// then
		assertThat(manifest.get("output")).singleElement().satisfies(output -> {
			assertThat(output.get("inputUrl").asText()).isEqualTo(url);
			assertThat(output.get("count").asLong()).isEqualTo(2);
		});
		JsonNode error = manifest.get("error").get(0);
		assertThat(manifest.get("error")).hasSize(1);
		assertThat(error.get("type").asText()).isEqualTo("OperationOutcome");
		assertThat(error.get("inputUrl").asText()).isEqualTo(url);
		assertThat(error.get("count").asLong()).isEqualTo(4);
		HttpResponse<byte[]> errorFile = serverB.http().getBytes(error.get("url").asText());
		assertThat(errorFile.statusCode()).isEqualTo(200);
		List<String> diagnostics = new String(errorFile.body(), StandardCharsets.UTF_8).lines().map(FhirHttp::parse)
				.map(outcome -> outcome.at("/issue/0/diagnostics").asText()).toList();
		assertThat(diagnostics).hasSize(4);
		assertThat(diagnostics.get(0)).startsWith("BULK-0240: Line 2 of " + url);
		assertThat(diagnostics.get(1)).startsWith("BULK-0241: Line 3 of " + url).contains("Patient/it-pat-1");
		assertThat(diagnostics.get(2)).startsWith("BULK-0243: Line 4 of " + url);
		assertThat(diagnostics.get(3)).startsWith("BULK-0244: Line 5 of " + url).contains("Organization/none");
		assertThat(serverB.http().get("Organization/it-org-5").statusCode()).isEqualTo(200);
		assertThat(serverB.http().get("Organization/it-org-4").statusCode()).isEqualTo(404);
	}

	@Test
	@Order(4)
	void malformedOrForbiddenKickOffs_areRefusedWithOperationOutcomes() throws IOException {
		BulkImportClient client = new BulkImportClient(serverB.http());
		Files.writeString(importDirectory.getParent().resolve("secret.ndjson"), "{}\n");
		String good = files.url("allowed/bad/Organization.ndjson");

		assertRefused(client.post(body("Organization", files.url("other/Organization.ndjson"))), 403, "BULK-0217");
		assertRefused(client.post(body("Organization", "http://127.0.0.1:1/allowed-sources-do-not-list-it")), 403,
				"BULK-0217");
		assertRefused(client.post(body("Organization", files.url("allowed/missing.ndjson"))), 400, "BULK-0219");
		assertRefused(client.post(body("Organization", importDirectory.toUri() + "../secret.ndjson")), 403,
				"BULK-0218");
		assertRefused(client.post(body("Organization", "ftp://example.org/x.ndjson")), 400, "BULK-0216");
		assertRefused(client.post(body("NoSuchType", good)), 400, "BULK-0215");
		assertRefused(client.post("{\"resourceType\":\"Parameters\",\"parameter\":[]}"), 400, "BULK-0213");
		assertRefused(client.post(body("Organization", good).replace("application/fhir+ndjson", "text/csv")), 400,
				"BULK-0212");
		assertRefused(client.post("not json"), 400, "BULK-0211");
		assertRefused(serverB.http().post("$import", body("Organization", good), "Content-Type",
				"application/fhir+json"), 400, "BULK-0210");
	}

	@Test
	@Order(5)
	void sourceCredentials_andFileInputs_areRead() throws Exception {
		// given: a source that needs a bearer token, and a file under the import directory
		Path secure = files.directory().resolve("allowed/secure/Organization.ndjson");
		Files.createDirectories(secure.getParent());
		Files.writeString(secure, "{\"resourceType\":\"Organization\",\"id\":\"it-secure\"}\n");
		Path local = importDirectory.resolve("Organization.ndjson");
		Files.writeString(local, "{\"resourceType\":\"Organization\",\"id\":\"it-local\"}\n");
		BulkImportClient client = new BulkImportClient(serverB.http());

		// when
		JsonNode manifest = client.awaitManifest(client.kickOff(BulkImportClient.parameters(List.of(
				Map.entry("Organization", files.url("allowed/secure/Organization.ndjson")),
				Map.entry("Organization", local.toUri().toString())))), Duration.ofMinutes(3));

		// then
		assertThat(manifest.get("error")).isEmpty();
		assertThat(manifest.get("output")).allSatisfy(output -> assertThat(output.get("count").asLong()).isEqualTo(1));
		assertThat(serverB.http().get("Organization/it-secure").statusCode()).isEqualTo(200);
		assertThat(serverB.http().get("Organization/it-local").statusCode()).isEqualTo(200);
		// and the secure file was fetched (the kick-off's probe, then the job) with the configured token only
		assertThat(files.requests("allowed/secure/Organization.ndjson")).isNotEmpty().allSatisfy(request -> {
			assertThat(request.authorization()).isEqualTo("Bearer " + NdjsonFileServer.TOKEN);
			assertThat(request.status()).isEqualTo(200);
		});
	}

	@Test
	@Order(6)
	void secureSource_withoutConfiguredCredentials_isRefusedAtKickOff() throws Exception {
		// given: a file the source serves only with a token, under an allowed prefix no credential covers
		Path secure = files.directory().resolve("allowed/other/secure/Organization.ndjson");
		Files.createDirectories(secure.getParent());
		Files.writeString(secure, "{\"resourceType\":\"Organization\",\"id\":\"it-no-token\"}\n");

		// when
		HttpResponse<String> kickOff = new BulkImportClient(serverB.http()).post(body("Organization",
				files.url("allowed/other/secure/Organization.ndjson")));

		// then: the kick-off's probe got the source's 401, sent no credentials, and nothing was stored
		assertRefused(kickOff, 400, "BULK-0219");
		assertThat(FhirHttp.json(kickOff).at("/issue/0/diagnostics").asText()).contains("HTTP 401");
		assertThat(files.requests("allowed/other/secure/Organization.ndjson")).isNotEmpty()
				.allSatisfy(request -> {
					assertThat(request.authorization()).isNull();
					assertThat(request.status()).isEqualTo(401);
				});
		assertThat(serverB.http().get("Organization/it-no-token").statusCode()).isEqualTo(404);
	}

	@Test
	@Order(7)
	void delete_cancelsTheImport_thenTheStatusUrlAnswers404() {
		BulkImportClient client = new BulkImportClient(serverB.http());
		String statusUrl = client.kickOff(body("Organization", files.url("allowed/synthea/Organization.ndjson")));

		assertThat(serverB.http().delete(statusUrl).statusCode()).isEqualTo(202);
		assertThat(serverB.http().get(statusUrl).statusCode()).isEqualTo(404);
	}

	private static String body(String type, String url) {
		return BulkImportClient.parameters(List.of(Map.entry(type, url)));
	}

	private static void assertRefused(HttpResponse<String> response, int status, String code) {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		JsonNode outcome = FhirHttp.json(response);
		assertThat(outcome.get("resourceType").asText()).isEqualTo("OperationOutcome");
		assertThat(outcome.at("/issue/0/diagnostics").asText()).contains(code);
	}

	/** The dataset's types as a {@code _type} query. */
	private String datasetTypes() {
		return "?_type=" + String.join(",", dataset.resources().keySet().stream().map(key -> key.split("/")[0])
				.distinct().sorted().toList());
	}
}
