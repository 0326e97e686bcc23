package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
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
	private SystemExportScenario.Result export;

	@BeforeAll
	void startServer() throws Exception {
		workDir = Files.createTempDirectory(Path.of("target"), "java-jar-it-");
		database = ItDatabase.fresh(workDir);
		server = WarProcess.start(workDir, port, database);
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
	}

	@Test
	@Order(10)
	void job_andItsManifest_surviveARestart_andDeleteRemovesThem() throws Exception {
		String statusUrl = export.statusUrl();
		server.close();
		server = WarProcess.start(workDir, port, database);

		HttpResponse<String> status = server.http().get(statusUrl);
		assertThat(status.statusCode()).isEqualTo(200);
		JsonNode manifest = FhirHttp.json(status);
		assertThat(manifest.get("output")).isEqualTo(export.manifest().get("output"));
		String firstFile = manifest.get("output").get(0).get("url").asText();
		assertThat(server.http().getBytes(firstFile).statusCode()).isEqualTo(200);

		assertThat(server.http().delete(statusUrl).statusCode()).isEqualTo(202);
		assertRefused(server.http().get(statusUrl), 404, "No bulk job");
		assertThat(server.http().getBytes(firstFile).statusCode()).isEqualTo(404);
	}

	private static void assertRefused(HttpResponse<String> response, int status, String mentioning) {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		JsonNode outcome = FhirHttp.json(response);
		assertThat(outcome.get("resourceType").asText()).isEqualTo("OperationOutcome");
		assertThat(outcome.at("/issue/0/diagnostics").asText()).contains(mentioning);
	}
}
