package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash safety: the server is killed with SIGKILL in the middle of an export and started again;
 * the export completes under the same status URL with every resource exactly once. Small chunks
 * (2 resources) and one worker thread keep the export running long enough to be caught midway.
 */
class KillDuringExportIT {

	private static final Pattern PERCENT = Pattern.compile("^(\\d+)%");

	private WarProcess server;
	private ItDatabase database;

	@AfterEach
	void stop() throws InterruptedException {
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
	}

	@Test
	void exportKilledMidway_completesAfterRestart_withEveryResourceOnce() throws Exception {
		Path workDir = Files.createTempDirectory(Path.of("target"), "kill-it-");
		int port = WarProcess.freePort();
		database = ItDatabase.fresh(workDir);
		String[] slowExport = {"--hapi.bulk.export.page-size=2", "--hapi.bulk.worker-threads=1",
				"--hapi.bulk.retry-after=1s"};
		server = WarProcess.start(workDir, port, database, slowExport);
		SyntheaDataset dataset = SyntheaDataset.tenPatients();
		dataset.loadInto(server.http());

		String statusUrl = new BulkExportClient(server.http()).kickOff("");
		int percentAtKill = awaitProgressBetween(server.http(), statusUrl, 5, 80);
		server.kill();
		System.out.printf("[hapi-bulk-it] killed the server (SIGKILL) at %d%% of the export%n", percentAtKill);

		server = WarProcess.start(workDir, port, database, slowExport);
		JsonNode manifest = new BulkExportClient(server.http()).awaitManifest(statusUrl, Duration.ofMinutes(5));

		SystemExportScenario.assertManifestHoldsExactly(server.http(), manifest, dataset);
	}

	private static int awaitProgressBetween(FhirHttp http, String statusUrl, int low, int high) throws InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> status = http.get(statusUrl);
			assertThat(status.statusCode()).as("the export must still run; it finished before it could be killed")
					.isEqualTo(202);
			Matcher percent = PERCENT.matcher(status.headers().firstValue("X-Progress").orElse(""));
			if (percent.find() && Integer.parseInt(percent.group(1)) >= low) {
				assertThat(Integer.parseInt(percent.group(1))).isLessThanOrEqualTo(high);
				return Integer.parseInt(percent.group(1));
			}
			Thread.sleep(1000);
		}
		throw new AssertionError("The export made no progress");
	}
}
