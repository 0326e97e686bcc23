package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash safety, in a tenant: the server runs URL-based tenants over HAPI partitions (database partition mode, so
 * that tenants A and B may hold the same ids) and is killed with SIGKILL in the middle of an import into A, and then
 * in the middle of two exports of A at once, a plain one and one de-identified with the built-in {@code safe-harbor}
 * profile, and started again each time (one server and database for all, so that CI pays three starts). The import
 * completes under the same status URL, each input's count equals its lines (no line stored or counted twice, none
 * lost); the plain export completes under its status URL with every resource of the dataset exactly once and nothing
 * of tenant B (which holds one of A's Patient ids with other content); the de-identified export holds every
 * resource once, each under a pseudonym. A completed job outlives the restarts (the import's manifest is the same
 * after the second kill) and DELETE removes a completed export and its files. Small chunks (20 import lines, 2
 * exported resources a page) keep the jobs running long enough to be caught midway.
 */
class KillDuringJobsIT {

	private static final Pattern LINES = Pattern.compile("^(\\d+) lines processed");
	private static final Pattern PERCENT = Pattern.compile("^(\\d+)%");

	private WarProcess server;
	private ItDatabase database;
	private NdjsonFileServer files;

	@AfterEach
	void stop() throws InterruptedException {
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
		if (files != null) {
			files.close();
		}
	}

	@Test
	void importKilledMidway_thenExportsKilledMidway_inATenant_eachCompletesAfterRestart_withEveryResourceOnce()
			throws Exception {
		Path workDir = Files.createTempDirectory(Path.of("target"), "kill-it-");
		files = NdjsonFileServer.start(Files.createDirectories(workDir.resolve("served")));
		Path datasetDir = Path.of(System.getProperty("hapibulk.datasets", "datasets")).resolve("synthea-10-patients");
		List<Map.Entry<String, String>> inputs = new ArrayList<>();
		for (String type : SyntheaDataset.DEPENDENCY_ORDER) {
			Files.copy(datasetDir.resolve(type + ".000.ndjson"), files.directory().resolve(type + ".ndjson"));
			inputs.add(Map.entry(type, files.url(type + ".ndjson")));
		}
		int port = WarProcess.freePort();
		database = ItDatabase.fresh(workDir);
		// One node id for every start: the restarted server resumes its own jobs at once (with a new id it would wait
		// for the killed one's lease to expire; NodeTakeoverTest covers that).
		String[] slowJobs = {"--hapi.bulk.import.chunk-size=20", "--hapi.bulk.export.page-size=2",
				"--hapi.bulk.worker-threads=2", "--hapi.bulk.retry-after=1s",
				"--hapi.bulk.import.allowed-sources=" + files.url(""), "--hapi.bulk.cluster.node-id=kill-it",
				// The export reads right after the import has completed. Once (1 run in many, H2) its plan waited the
				// whole 10-minute default for a database transaction open since before it; with 30 s it goes on and
				// the server logs how many were still open (a lead for whoever looks into it).
				"--hapi.bulk.export.write-wait-limit=30s",
				"--hapi.fhir.partitioning.enabled=true", "--hapi.fhir.partitioning.database_partition_mode_enabled=true",
				"--hapi.fhir.partitioning.tenants=A,B",
				"--hapi.bulk.deid.keys.crypto-hash-key=kill-it-crypto-hash-key-0123456789"};
		server = WarProcess.start(workDir, port, database, slowJobs);
		FhirHttp tenantA = new FhirHttp(server.http().base() + "/A");
		FhirHttp tenantB = new FhirHttp(server.http().base() + "/B");
		SyntheaDataset dataset = SyntheaDataset.tenPatients();

		String statusUrl = new BulkImportClient(tenantA).kickOff(BulkImportClient.parameters(inputs));
		long linesAtKill = StatusProgress.awaitBetween(tenantA, statusUrl, LINES, 1500, dataset.size() - 1500,
				Duration.ofMinutes(5));
		server.kill();
		System.out.printf("[hapi-bulk-it] killed the server (SIGKILL) after %d of %d import lines%n", linesAtKill,
				dataset.size());

		server = WarProcess.start(workDir, port, database, slowJobs);
		JsonNode manifest = new BulkImportClient(tenantA).awaitManifest(statusUrl, Duration.ofMinutes(10));

		assertThat(manifest.get("error")).isEmpty();
		Map<String, Long> linesByType = new HashMap<>();
		dataset.resources().keySet().forEach(key -> linesByType.merge(key.split("/")[0], 1L, Long::sum));
		for (JsonNode output : manifest.get("output")) {
			assertThat(output.get("count").asLong()).as(output.toString())
					.isEqualTo(linesByType.get(output.get("type").asText()));
		}

		// Tenant B holds one of A's Patient ids with other content: no export of A may show it.
		String sharedPatient = dataset.resources().keySet().stream().filter(key -> key.startsWith("Patient/"))
				.findFirst().orElseThrow();
		String impostor = "{\"resourceType\":\"Patient\",\"id\":\"" + sharedPatient.substring(8)
				+ "\",\"name\":[{\"family\":\"OfTenantB\"}]}";
		assertThat(tenantB.put(sharedPatient, impostor, "Content-Type", "application/fhir+json").statusCode())
				.isIn(200, 201);

		// and then: two exports of what the import stored, started together and killed midway. The kill waits for the
		// de-identified one's progress: on PostgreSQL it is the faster of the two (11 s to the plain one's more), and
		// a kill timed by the plain one's progress found it finished.
		String deidStatusUrl = new BulkExportClient(tenantA).kickOff("?_anonymizationConfig=safe-harbor");
		String exportStatusUrl = new BulkExportClient(tenantA).kickOff("");
		long percentAtKill = StatusProgress.awaitBetween(tenantA, deidStatusUrl, PERCENT, 1, 80, Duration.ofMinutes(3));
		assertThat(tenantA.get(exportStatusUrl).statusCode()).as("the plain export still runs").isEqualTo(202);
		server.kill();
		System.out.printf("[hapi-bulk-it] killed the server (SIGKILL) at %d%% of the de-identified export%n",
				percentAtKill);

		server = WarProcess.start(workDir, port, database, slowJobs);
		assertThat(tenantB.get(exportStatusUrl.replace("/A/", "/B/")).statusCode()).as("A's job through B")
				.isEqualTo(404);
		HttpResponse<String> importAfterRestart = tenantA.get(statusUrl);
		assertThat(importAfterRestart.statusCode()).as("the import, completed before the kill").isEqualTo(200);
		assertThat(FhirHttp.json(importAfterRestart).get("output")).isEqualTo(manifest.get("output"));
		JsonNode exportManifest = new BulkExportClient(tenantA).awaitManifest(exportStatusUrl, Duration.ofMinutes(5));
		SystemExportScenario.assertManifestHoldsExactly(tenantA, exportManifest, dataset);
		JsonNode deidManifest = new BulkExportClient(tenantA).awaitManifest(deidStatusUrl, Duration.ofMinutes(5));
		assertEveryResourceOnceUnderAPseudonym(tenantA, deidManifest, dataset);

		// and: DELETE of a completed export removes its status and its files
		String firstFile = exportManifest.get("output").get(0).get("url").asText();
		assertThat(tenantA.delete(exportStatusUrl).statusCode()).isEqualTo(202);
		HttpResponse<String> afterDelete = tenantA.get(exportStatusUrl);
		assertThat(afterDelete.statusCode()).as(afterDelete.body()).isEqualTo(404);
		assertThat(FhirHttp.json(afterDelete).at("/issue/0/diagnostics").asText()).contains("No bulk job");
		assertThat(tenantA.getBytes(firstFile).statusCode()).isEqualTo(404);
	}

	/** Each type holds as many resources as the dataset, each id once, none of them an original id. */
	private static void assertEveryResourceOnceUnderAPseudonym(FhirHttp tenant, JsonNode manifest,
			SyntheaDataset dataset) {
		assertThat(manifest.get("error")).isEmpty();
		Map<String, Long> expected = new TreeMap<>();
		dataset.resources().keySet().forEach(key -> expected.merge(key.split("/")[0], 1L, Long::sum));
		Map<String, Long> exported = new TreeMap<>();
		Set<String> ids = new HashSet<>();
		new BulkExportClient(tenant).download(manifest).forEach((type, lines) -> {
			for (String line : lines) {
				String key = type + "/" + FhirHttp.parse(line).get("id").asText();
				assertThat(ids.add(key)).as("exported twice: " + key).isTrue();
				assertThat(dataset.resources()).as("an original id left in the output").doesNotContainKey(key);
				exported.merge(type, 1L, Long::sum);
			}
		});
		assertThat(exported).isEqualTo(expected);
	}
}
