package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster mode as operators run it: three sample-WAR processes ({@code java -jar}) with cluster mode on, one
 * fresh PostgreSQL database, the RabbitMQ at 127.0.0.1:5672 (a queue of this run's own), files in S3 (s3proxy on
 * loopback). The shared Synthea data multiplied to 28,640 resources is loaded through {@code $import} with a worker
 * killed midway, then exported in small key-range partitions: undisturbed, while another node restarts, with the
 * node that accepted the job killed, with a worker killed (SIGKILL); status, download and cancel go to nodes that
 * did not accept the job. Each time every resource comes back exactly once. The nodes start once; the worker killed
 * during the import is replaced by a new process (new node id) in its slot, the last two killed are not (the
 * scenarios after them need none, and a start costs minutes of the two cores).
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

	private static final int COPIES = 4;
	private static final Pattern PERCENT = Pattern.compile("^(\\d+)%");
	private static final Pattern LINES = Pattern.compile("^(\\d+) lines processed");
	private static final Duration JOB_TIMEOUT = Duration.ofMinutes(8);

	private Path workDir;
	private ItDatabase database;
	private S3ProxyServer s3;
	private NdjsonFileServer files;
	private ClusterDataset dataset;
	private ClusterNodes cluster;
	private ClusterJobRepository jobs;
	private String queue;
	private String exportTypes;

	@BeforeAll
	void startCluster() throws Exception {
		workDir = Files.createTempDirectory(Path.of("target"), "cluster-it-");
		RabbitQueues.assertReachable();
		database = ItDatabase.fresh(workDir.resolve("db"));
		assertThat(database.url()).as("the cluster test runs on PostgreSQL (-Pcluster sets it)")
				.startsWith("jdbc:postgresql:");
		jobs = new ClusterJobRepository(database);
		s3 = S3ProxyServer.start(workDir.resolve("s3"));
		files = NdjsonFileServer.start(Files.createDirectories(workDir.resolve("served")));
		dataset = ClusterDataset.write(files.directory().resolve("synthea"), COPIES);
		exportTypes = "?_type=" + String.join(",", dataset.countByType().keySet());
		queue = "hapi-bulk-it-" + UUID.randomUUID().toString().substring(0, 8);
		List<String> arguments = new ArrayList<>(List.of(
				"--hapi.bulk.cluster.enabled=true",
				"--hapi.bulk.cluster.queue=" + queue,
				"--hapi.bulk.cluster.lease-duration=6s",
				"--hapi.bulk.cluster.poll-interval=500ms",
				"--hapi.bulk.recovery.watchdog-interval=2s",
				"--spring.rabbitmq.host=127.0.0.1",
				"--spring.rabbitmq.port=5672",
				"--spring.rabbitmq.username=guest",
				"--spring.rabbitmq.password=guest",
				// PostgreSQL's 100 connections are shared with other tests' servers: few per node, few kept idle
				"--spring.datasource.hikari.maximum-pool-size=8",
				"--spring.datasource.hikari.minimum-idle=2",
				"--hapi.bulk.worker-threads=2",
				"--hapi.bulk.export.partition-size=2000",
				"--hapi.bulk.export.page-size=250",
				"--hapi.bulk.import.chunk-size=250",
				"--hapi.bulk.retry-after=1s",
				// the expiry check (last test) waits for a sweep
				"--hapi.bulk.cleanup-interval=2s",
				"--hapi.bulk.import.allowed-sources=" + files.url("synthea/")));
		arguments.addAll(s3.nodeArguments("cluster-it"));
		Instant started = Instant.now();
		cluster = ClusterNodes.start(workDir, database, arguments, "a", "b", "c");
		log("3 nodes up in %d s (queue %s, database %s, s3proxy)", seconds(started), queue, database.url());
	}

	@AfterAll
	void stopCluster() throws Exception {
		if (cluster != null) {
			cluster.close();
		}
		if (files != null) {
			files.close();
		}
		if (s3 != null) {
			s3.close();
		}
		if (jobs != null) {
			jobs.close();
		}
		if (database != null) {
			database.drop().run();
		}
		if (queue != null) {
			RabbitQueues.delete(queue);
		}
	}

	@Test
	@Order(1)
	void import_workerKilledMidway_storesEveryResourceOnce() throws Exception {
		// given: every copy of every type as an input of its own, served over HTTP
		List<Map.Entry<String, String>> inputs = inputs(dataset.files());
		ClusterNodes.Node accepting = cluster.node("a");
		ClusterNodes.Node polled = cluster.node("b");
		Instant started = Instant.now();
		String statusUrl = polled.url(new BulkImportClient(accepting.http()).kickOff(BulkImportClient.parameters(inputs)));

		// when: the worker that did not accept the job is killed midway (and replaced by a new node)
		long linesAtKill = StatusProgress.awaitBetween(polled.http(), statusUrl, LINES, dataset.size() / 5,
				dataset.size() * 3L / 4, JOB_TIMEOUT);
		String worker = cluster.node("c").id();
		List<String> interrupted = killWhileRunningAPartition(jobId(statusUrl), "c", true);
		log("$import: killed worker %s (SIGKILL) after %d of %d lines (%d%%), running %s", worker, linesAtKill,
				dataset.size(), 100 * linesAtKill / dataset.size(), interrupted);
		JsonNode manifest = new BulkImportClient(polled.http()).awaitManifest(statusUrl, JOB_TIMEOUT);
		log("$import of %d resources in %d inputs: %d s kick-off to manifest", dataset.size(), inputs.size(),
				seconds(started));
		logPartitions("$import", polled, jobId(statusUrl));

		// then: each input counted once, no error
		assertThat(manifest.get("error")).isEmpty();
		assertThat(manifest.get("output")).hasSize(inputs.size());
		Map<String, Long> countedByType = new TreeMap<>();
		manifest.get("output").forEach(output -> countedByType.merge(output.get("type").asText(),
				output.get("count").asLong(), Long::sum));
		assertThat(countedByType).isEqualTo(dataset.countByType());
		// and: the server holds each resource once (a search count per type), with the content of its line
		dataset.countByType().forEach((type, count) -> assertThat(FhirHttp.json(accepting.http().get(
				type + "?_summary=count", "Accept", "application/fhir+json")).get("total").asLong()).as(type)
				.isEqualTo(count));
		dataset.sample().entrySet().stream().limit(50).forEach(entry -> {
			ObjectNode read = (ObjectNode) FhirHttp.json(polled.http().get(entry.getKey(),
					"Accept", "application/fhir+json"));
			read.remove("meta");
			assertThat(read).as(entry.getKey()).isEqualTo(entry.getValue());
		});
		assertThat(jobs.failedSteps(jobId(statusUrl))).isEmpty();
	}

	@Test
	@Order(2)
	void export_undisturbed_spreadsItsPartitionsOverTheNodes_andHoldsEveryResourceOnce() throws Exception {
		ClusterNodes.Node accepting = cluster.node("a");
		ClusterNodes.Node polled = cluster.node("b");
		cluster.node("c");
		Instant started = Instant.now();
		String statusUrl = polled.url(new BulkExportClient(accepting.http()).kickOff(exportTypes));
		JsonNode manifest = new BulkExportClient(polled.http()).awaitManifest(statusUrl, JOB_TIMEOUT);
		log("$export of %d resources: %d s kick-off to manifest", dataset.size(), seconds(started));

		Map<String, Long> partitionsByNode = logPartitions("$export", cluster.node("c"), jobId(statusUrl));
		assertThat(partitionsByNode.values().stream().mapToLong(Long::longValue).sum())
				.as("tens of partitions (2,000 resources each)").isGreaterThanOrEqualTo(20);
		assertThat(partitionsByNode).as("partitions by node").hasSizeGreaterThan(1);
		assertHoldsEveryResourceOnce(polled, manifest);
		assertThat(s3.objectCount("cluster-it")).as("objects in the bucket").isPositive();
		try (Stream<Path> local = Files.walk(workDir)) {
			assertThat(local.filter(path -> path.toString().contains("bulk-files")).filter(Files::isRegularFile))
					.as("no part file on a node's disk").isEmpty();
		}
	}

	@Test
	@Order(3)
	void cancel_fromANodeThatDidNotAcceptTheJob_stopsIt() throws Exception {
		// an export
		ClusterNodes.Node accepting = cluster.node("a");
		ClusterNodes.Node other = cluster.node("c");
		String exportStatus = new BulkExportClient(accepting.http()).kickOff(exportTypes);
		StatusProgress.awaitBetween(other.http(), other.url(exportStatus), PERCENT, 1, 90, JOB_TIMEOUT);
		assertThat(other.http().delete(other.url(exportStatus)).statusCode()).isEqualTo(202);
		assertThat(accepting.http().get(exportStatus).statusCode()).isEqualTo(404);
		assertThat(cluster.node("b").http().get(cluster.node("b").url(exportStatus)).statusCode()).isEqualTo(404);
		awaitNoRunningStep(jobId(exportStatus));
		// and an import (one copy)
		List<Map.Entry<String, String>> oneCopy = inputs(dataset.files().subList(0,
				SyntheaDataset.DEPENDENCY_ORDER.size()));
		String importStatus = new BulkImportClient(accepting.http()).kickOff(BulkImportClient.parameters(oneCopy));
		assertThat(other.http().delete(other.url(importStatus)).statusCode()).isEqualTo(202);
		assertThat(accepting.http().get(importStatus).statusCode()).isEqualTo(404);
		awaitNoRunningStep(jobId(importStatus));
		log("cancel: an export and an import accepted by %s, cancelled on %s; no partition runs on any node (%d of"
				+ " the import's partitions, of waves never sent, stay STARTING)", accepting.id(), other.id(),
				jobs.runningSteps(jobId(importStatus)).size());
	}

	@Test
	@Order(4)
	void restartingNode_leavesTheExportsOfAnotherNodeUntouched() throws Exception {
		// given: node b is stopped (SIGTERM) in the middle of an export of node a
		ClusterNodes.Node accepting = cluster.node("a");
		BulkExportClient client = new BulkExportClient(accepting.http());
		String duringStop = client.kickOff(exportTypes);
		long percent = StatusProgress.awaitBetween(accepting.http(), duringStop, PERCENT, 5, 60, JOB_TIMEOUT);
		String restartingId = cluster.node("b").id();
		String incarnation = jobs.leaseIncarnation(restartingId);
		Instant restarting = Instant.now();
		CompletableFuture<ClusterNodes.Node> restarted = cluster.restart("b");

		// when: it starts again under its node id. Once b's lease is back (its extension has started), a exports
		// again and again until b answers, so that b's start-up, which looks for interrupted jobs, meets a running
		// export of a (starting them earlier would only slow b's start on two cores).
		Instant deadline = Instant.now().plus(JOB_TIMEOUT);
		while (incarnation.equals(jobs.leaseIncarnation(restartingId)) && !restarted.isDone()) {
			assertThat(Instant.now()).as(restartingId + " starts again").isBefore(deadline);
			Thread.sleep(200);
		}
		List<String> duringStart = new ArrayList<>(List.of(client.kickOff(exportTypes)));
		while (!restarted.isDone()) {
			if (accepting.http().get(duringStart.get(duringStart.size() - 1)).statusCode() == 200) {
				duringStart.add(client.kickOff(exportTypes));
			}
			Thread.sleep(500);
		}
		String progressWhenBack = accepting.http().get(duringStart.get(duringStart.size() - 1)).headers()
				.firstValue("X-Progress").orElse("complete");
		log("restart: %s stopped (SIGTERM) at %d%% of %s's export, answered again after %d s; %d exports of %s ran"
				+ " from its lease's return until then, the last at '%s' when it answered", restartingId, percent,
				accepting.id(), seconds(restarting), duringStart.size(), accepting.id(), progressWhenBack);

		// then: every export completes in the one execution its node started, nothing failed, each resource once
		List<String> exports = new ArrayList<>(duringStart);
		exports.add(0, duringStop);
		for (String statusUrl : exports) {
			JsonNode manifest = client.awaitManifest(statusUrl, JOB_TIMEOUT);
			String jobId = jobId(statusUrl);
			assertThat(jobs.executions(jobId)).as("one execution: never restarted").hasSize(1);
			assertThat(jobs.runningNode(jobId)).isEqualTo(accepting.id());
			assertThat(jobs.failedSteps(jobId)).isEmpty();
			if (statusUrl.equals(duringStop) || statusUrl.equals(exports.get(exports.size() - 1))) {
				logPartitions("$export beside a restart", accepting, jobId);
				assertHoldsEveryResourceOnce(accepting, manifest);
			}
		}
	}

	@Test
	@Order(5)
	void export_acceptingNodeKilledMidway_isTakenOverAndHoldsEveryResourceOnce() throws Exception {
		ClusterNodes.Node accepting = cluster.node("a");
		ClusterNodes.Node polled = cluster.node("b");
		cluster.node("c");
		String statusUrl = polled.url(new BulkExportClient(accepting.http()).kickOff(exportTypes));
		String jobId = jobId(statusUrl);

		long percent = StatusProgress.awaitBetween(polled.http(), statusUrl, PERCENT, 15, 70, JOB_TIMEOUT);
		assertThat(jobs.runningNode(jobId)).isEqualTo(accepting.id());
		Instant killedAt = Instant.now();
		cluster.kill("a");
		String successor = awaitTakeover(jobId, accepting.id());
		log("$export: killed the accepting node %s (SIGKILL) at %d%%; %s claimed the job %.1f s later"
				+ " (lease 6 s, renewed every 2 s)", accepting.id(), percent, successor,
				Duration.between(killedAt, Instant.now()).toMillis() / 1000.0);
		JsonNode manifest = new BulkExportClient(polled.http()).awaitManifest(statusUrl, JOB_TIMEOUT);
		log("$export after the takeover: manifest %d s after the kill", seconds(killedAt));

		logPartitions("$export after the takeover", polled, jobId);
		log("$export after the takeover: executions %s; failed steps %s", jobs.executions(jobId),
				jobs.failedSteps(jobId).stream().map(step -> step.length() > 100 ? step.substring(0, 100) : step)
						.toList());
		assertHoldsEveryResourceOnce(polled, manifest);
	}

	@Test
	@Order(6)
	void export_workerKilledMidway_stillHoldsEveryResourceOnce() throws Exception {
		// the two nodes left: b accepts and answers, the worker c is killed
		ClusterNodes.Node accepting = cluster.node("b");
		String statusUrl = new BulkExportClient(accepting.http()).kickOff(exportTypes);

		long percent = StatusProgress.awaitBetween(accepting.http(), statusUrl, PERCENT, 15, 70, JOB_TIMEOUT);
		String worker = cluster.node("c").id();
		List<String> interrupted = killWhileRunningAPartition(jobId(statusUrl), "c", false);
		log("$export: killed worker %s (SIGKILL) at %d%%, running %s", worker, percent, interrupted);
		JsonNode manifest = new BulkExportClient(accepting.http()).awaitManifest(statusUrl, JOB_TIMEOUT);

		logPartitions("$export after a worker kill", accepting, jobId(statusUrl));
		assertThat(jobs.executions(jobId(statusUrl))).as("a worker's death restarts nothing").hasSize(1);
		assertHoldsEveryResourceOnce(accepting, manifest);

		// Expiry: a node's sweeper deletes the job's objects (DeleteObjects, which a strict store takes only with
		// Content-MD5), and its URLs answer 404. A delete that fails is only logged, so the bucket is what tells.
		String objects = "cluster-it/" + jobId(statusUrl);
		assertThat(s3.objectCount(objects)).as("the job's objects before expiry").isPositive();
		jobs.expireNow(jobId(statusUrl));
		Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
		while (s3.objectCount(objects) > 0) {
			assertThat(Instant.now()).as("objects of the expired job gone from the bucket").isBefore(deadline);
			Thread.sleep(200);
		}
		assertThat(accepting.http().get(statusUrl).statusCode()).as("status of the expired job").isEqualTo(404);
		assertThat(accepting.http().get(manifest.get("output").get(0).get("url").asText()).statusCode())
				.as("a file of the expired job").isEqualTo(404);
	}

	/**
	 * Kills (SIGKILL) the worker in the slot once it runs a partition of the job, and asserts the kill interrupted
	 * one: a worker killed between partitions would test nothing. Read again right after the kill (the dead node's
	 * claims stay until its lease expires, 6 s), the partitions it ran are returned for the log.
	 */
	private List<String> killWhileRunningAPartition(String jobId, String slot, boolean replace)
			throws InterruptedException {
		String worker = cluster.node(slot).id();
		Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
		while (jobs.partitionsRunningOn(jobId, worker).isEmpty()) {
			assertThat(Instant.now()).as(worker + " runs a partition of " + jobId).isBefore(deadline);
			Thread.sleep(50);
		}
		if (replace) {
			cluster.killAndReplace(slot);
		} else {
			cluster.kill(slot);
		}
		List<String> interrupted = jobs.partitionsRunningOn(jobId, worker);
		assertThat(interrupted).as("partitions of " + jobId + " that " + worker + " ran when killed").isNotEmpty();
		return interrupted;
	}

	/** The dataset files as import inputs (type → URL on the file server). */
	private List<Map.Entry<String, String>> inputs(List<Map.Entry<String, Path>> datasetFiles) {
		return datasetFiles.stream().map(file -> Map.entry(file.getKey(),
				files.url(files.directory().relativize(file.getValue()).toString()))).toList();
	}

	/** Downloads every file of the manifest from {@code node}: each dataset resource once, contents as loaded. */
	private void assertHoldsEveryResourceOnce(ClusterNodes.Node node, JsonNode manifest) {
		assertThat(manifest.get("error")).isEmpty();
		manifest.get("output").forEach(output -> assertThat(output.get("url").asText()).startsWith(node.http().base()));
		Map<String, ObjectNode> exported = BulkExportClient.byId(new BulkExportClient(node.http()).download(manifest));
		// set differences, not containsExactlyInAnyOrder: that one compares 50,000 elements pairwise (minutes)
		assertThat(difference(dataset.keys(), exported.keySet())).as("resources missing from the export").isEmpty();
		assertThat(difference(exported.keySet(), dataset.keys())).as("resources not in the dataset").isEmpty();
		dataset.sample().forEach((key, resource) -> assertThat(exported.get(key)).as(key).isEqualTo(resource));
	}

	private static List<String> difference(Set<String> these, Set<String> butNotThese) {
		return these.stream().filter(key -> !butNotThese.contains(key)).sorted().limit(20).toList();
	}

	/** Logs and returns how many partitions each node ran, asserting every partition completed on a known node. */
	private Map<String, Long> logPartitions(String what, ClusterNodes.Node node, String jobId) {
		JsonNode detail = FhirHttp.json(node.http().get("$bulk-jobs?job=" + jobId, "Accept", "application/json"));
		List<JsonNode> partitions = new ArrayList<>();
		detail.get("steps").forEach(step -> {
			if (step.get("name").asText().contains(":")) {
				partitions.add(step);
			}
		});
		Map<String, Long> byNode = partitions.stream().collect(Collectors.groupingBy(
				step -> step.path("node").asText("none"), TreeMap::new, Collectors.counting()));
		log("%s: %d partitions in the current execution, by node %s", what, partitions.size(), byNode);
		assertThat(partitions).allSatisfy(step -> {
			assertThat(step.get("status").asText()).as(step.toString()).isEqualTo("completed");
			assertThat(step.path("node").asText()).as(step.toString()).startsWith("node-");
		});
		return byNode;
	}

	/** Waits until another node than {@code deadNode} runs the job; returns it. */
	private String awaitTakeover(String jobId, String deadNode) throws InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
		while (Instant.now().isBefore(deadline)) {
			String node = jobs.runningNode(jobId);
			if (!deadNode.equals(node)) {
				return node;
			}
			Thread.sleep(200);
		}
		throw new AssertionError("No node took the job of " + deadNode + " over");
	}

	/**
	 * Waits until no step of the job runs on any node (STARTED or STOPPING). Partitions still STARTING are those
	 * of an import's later waves, never sent once the job stopped: they stay so (a restart would run them).
	 */
	private void awaitNoRunningStep(String jobId) throws InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
		while (jobs.runningSteps(jobId).stream().anyMatch(step -> !step.endsWith(":STARTING"))) {
			assertThat(Instant.now()).as("steps still running: " + jobs.runningSteps(jobId)).isBefore(deadline);
			Thread.sleep(500);
		}
	}

	private static String jobId(String statusUrl) {
		return statusUrl.substring(statusUrl.indexOf("job=") + 4);
	}

	private static long seconds(Instant since) {
		return Duration.between(since, Instant.now()).toSeconds();
	}

	private static void log(String format, Object... arguments) {
		System.out.printf("[hapi-bulk-it] cluster: " + format + "%n", arguments);
	}
}
