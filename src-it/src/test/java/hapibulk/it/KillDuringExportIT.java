package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

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
		// One node id for both starts: the restarted server resumes its own jobs at once (with a new id it would
		// wait for the killed one's lease to expire; NodeTakeoverTest covers that).
		String[] slowExport = {"--hapi.bulk.export.page-size=2", "--hapi.bulk.worker-threads=1",
				"--hapi.bulk.retry-after=1s", "--hapi.bulk.cluster.node-id=kill-export-it"};
		server = WarProcess.start(workDir, port, database, slowExport);
		SyntheaDataset dataset = SyntheaDataset.tenPatients();
		dataset.loadInto(server.http());

		String statusUrl = new BulkExportClient(server.http()).kickOff("");
		long percentAtKill = StatusProgress.awaitBetween(server.http(), statusUrl, PERCENT, 5, 80, Duration.ofMinutes(3));
		server.kill();
		System.out.printf("[hapi-bulk-it] killed the server (SIGKILL) at %d%% of the export%n", percentAtKill);

		server = WarProcess.start(workDir, port, database, slowExport);
		JsonNode manifest = new BulkExportClient(server.http()).awaitManifest(statusUrl, Duration.ofMinutes(5));

		SystemExportScenario.assertManifestHoldsExactly(server.http(), manifest, dataset);
	}
}
