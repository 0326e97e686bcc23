package hapibulk.job.recovery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.export.job.ExportJobConfig;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.BulkSchemaInitializer;
import hapibulk.job.NodeLease;
import hapibulk.job.RecoverySettings;
import hapibulk.job.StatusOptions;
import hapibulk.job.StoredManifestJson;
import hapibulk.job.recovery.InterruptedJobRestarter;
import hapibulk.job.recovery.JobWatchdog;
import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.JobFolder;
import hapibulk.storage.LocalFileStore;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.InterceptedCommits;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParametersBuilder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several nodes on one database (H2, or PostgreSQL with -Dhapibulk.test.db=postgres): node A is this Spring
 * context; nodes B and C are a second and third engine, lease and restarter over the same database, as
 * another server process would have them. A node's job is taken over only once its lease has expired, and
 * then by exactly one other node, which resumes it from its committed cursor.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class, NodeTakeoverTest.Gate.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeTakeoverTest {

	static final Path files = temp();
	static final String NODE_A = "node-a";

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.cluster.node-id", () -> NODE_A);
		// Five chunks for the ten Patients, so that a node can die with some committed and some not.
		registry.add("hapi.bulk.export.page-size", () -> "2");
		// One worker thread for A's paused partition, one for the partition another node resumes.
		registry.add("hapi.bulk.worker-threads", () -> "2");
		// The tests play the nodes' passes themselves.
		registry.add("hapi.bulk.recovery.watchdog-interval", () -> "0s");
	}

	@Configuration(proxyBeanMethods = false)
	static class Gate {
		@Bean
		@Primary
		PausingFileStore pausingFileStore() {
			return new PausingFileStore(files);
		}
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	DataSource dataSource;
	@Autowired
	PlatformTransactionManager transactionManager;
	@Autowired
	BulkSchemaInitializer schema;
	@Autowired
	NodeLease leaseA;
	@Autowired
	BulkJobTable table;
	@Autowired
	BulkBatchEngine engineA;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	PausingFileStore fileStore;
	@Autowired
	@Qualifier(ExportJobConfig.JOB_BEAN)
	Job exportJob;

	JdbcTemplate jdbc;
	final List<BulkBatchEngine> otherEngines = new ArrayList<>();
	List<String> patientIds;

	@BeforeAll
	void loadPatients() {
		jdbc = new JdbcTemplate(dataSource);
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		loader.load(SyntheaData.lines("Organization"));
		loader.load(SyntheaData.lines("Practitioner"));
		loader.load(SyntheaData.lines("Patient"));
		patientIds = SyntheaData.lines("Patient").stream().map(NodeTakeoverTest::id).toList();
	}

	@AfterEach
	void nodeAIsAliveAgain() {
		fileStore.releaseWithFailure();
		if (!leaseA.isRunning()) {
			leaseA.start();
		}
	}

	@AfterAll
	void stopOtherNodes() {
		otherEngines.forEach(BulkBatchEngine::destroy);
	}

	@Test
	void nodeStartingWhileAnotherRunsAJob_leavesThatJobAlone_andTheJobCompletesOnItsNode() throws Exception {
		// given: node A runs an export, paused inside its first chunk; its lease is live
		fileStore.pauseAtCommit(1);
		String jobId = export();
		fileStore.awaitPaused();
		Long executionA = table.find(jobId).orElseThrow().executionId();

		// when: node B starts
		Node nodeB = node("node-b");
		nodeB.restarter().restartInterrupted();

		// then: A's execution is untouched and still A's
		assertThat(engineA.jobExplorer().getJobExecution(executionA).getStatus()).isEqualTo(BatchStatus.STARTED);
		assertThat(table.find(jobId).orElseThrow().executionId()).isEqualTo(executionA);
		assertThat(runnerOf(jobId)).isEqualTo(NODE_A);
		assertThat(nodeB.engine().isLive(jobId)).isFalse();

		// and when A goes on, its job completes with every Patient once
		fileStore.release();
		BulkJob job = awaitEnd(jobId);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(job.executionId()).isEqualTo(executionA);
		assertThat(exportedPatientIds(job)).containsExactlyInAnyOrderElementsOf(patientIds);
	}

	@Test
	void nodeWhoseLeaseExpired_hasItsJobTakenOverByAnother_whichResumesIt_withEveryResourceOnce() throws Exception {
		// given: node A dies in its export's third chunk, after two chunks committed
		fileStore.pauseAtCommit(3);
		String jobId = export();
		fileStore.awaitPaused();
		Long executionA = table.find(jobId).orElseThrow().executionId();
		dies(leaseA);

		// when: node B looks for work left by dead nodes
		Node nodeB = node("node-b2");
		nodeB.restarter().restartInterrupted();

		// then: B runs the job from A's committed cursor, and it completes with every Patient exactly once
		assertThat(runnerOf(jobId)).isEqualTo(nodeB.lease().nodeId());
		BulkJob job = awaitEnd(jobId);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(job.executionId()).isNotEqualTo(executionA);
		assertThat(engineA.jobExplorer().getJobExecution(executionA).getStatus()).isEqualTo(BatchStatus.FAILED);
		assertThat(exportedPatientIds(job)).containsExactlyInAnyOrderElementsOf(patientIds);
		assertThat(writtenByLastExecution(job)).as("B wrote only what A had not committed").isEqualTo(patientIds.size() - 4);

		// and when A's stalled thread wakes and fails, it leaves B's job and files alone
		List<String> exported = exportedLines(job);
		fileStore.releaseWithFailure();
		await().atMost(Duration.ofMinutes(1)).until(() -> !engineA.isLive(jobId));
		assertThat(table.find(jobId).orElseThrow().state()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(exportedLines(job)).isEqualTo(exported);
	}

	@Test
	void twoSurvivorsRacingForADeadNodesJobs_exactlyOneClaimsEach() throws Exception {
		// given: twenty jobs of a node whose lease expired, and one of a live node
		String dead = "node-dead-" + UUID.randomUUID();
		new NodeLease(jdbc, dead, Duration.ofSeconds(30));
		expire(dead);
		List<String> jobIds = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			jobIds.add(row(BulkJobState.RUNNING, dead));
		}
		String liveJob = row(BulkJobState.RUNNING, NODE_A);
		NodeLease b = new NodeLease(jdbc, "node-b3", Duration.ofSeconds(30));
		NodeLease c = new NodeLease(jdbc, "node-c3", Duration.ofSeconds(30));

		// when: B and C claim every job at the same moment
		ExecutorService threads = Executors.newFixedThreadPool(2);
		AtomicInteger bWins = new AtomicInteger();
		AtomicInteger cWins = new AtomicInteger();
		try {
			for (String jobId : jobIds) {
				CyclicBarrier together = new CyclicBarrier(2);
				Future<Boolean> byB = threads.submit(claimTogether(b, jobId, together));
				Future<Boolean> byC = threads.submit(claimTogether(c, jobId, together));
				boolean bWon = byB.get(30, TimeUnit.SECONDS);
				boolean cWon = byC.get(30, TimeUnit.SECONDS);

				// then: exactly one of them runs it now
				assertThat(bWon ^ cWon).as("exactly one claim of " + jobId).isTrue();
				assertThat(runnerOf(jobId)).isEqualTo(bWon ? "node-b3" : "node-c3");
				(bWon ? bWins : cWins).incrementAndGet();
			}
		} finally {
			threads.shutdownNow();
		}

		// and neither takes a live node's job, nor the other survivor's once it holds it
		assertThat(b.claim(liveJob)).isFalse();
		assertThat(c.claim(liveJob)).isFalse();
		assertThat(runnerOf(liveJob)).isEqualTo(NODE_A);
		assertThat(c.claim(jobIds.get(0))).isEqualTo(runnerOf(jobIds.get(0)).equals("node-c3"));
		assertThat(bWins.get() + cWins.get()).isEqualTo(jobIds.size());
	}

	@Test
	void twoSurvivorsRestartingAtOnce_restartADeadNodesJobOnce_andItCompletes() throws Exception {
		// given: a node died running an export (its execution still STARTED) and its lease row is gone
		String dead = "node-gone-" + UUID.randomUUID();
		String jobId = row(BulkJobState.RUNNING, dead);
		JobExecution left = startedExecution(jobId);
		table.setExecution(jobId, left.getId());
		Node nodeB = node("node-b4");
		Node nodeC = node("node-c4");

		// when: both start at the same moment
		CyclicBarrier together = new CyclicBarrier(2);
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			Future<?> b = threads.submit(() -> restartTogether(nodeB, together));
			Future<?> c = threads.submit(() -> restartTogether(nodeC, together));
			b.get(1, TimeUnit.MINUTES);
			c.get(1, TimeUnit.MINUTES);
		} finally {
			threads.shutdownNow();
		}

		// then: one restart only (the dead execution and one more), and the job completes with every Patient
		BulkJob job = awaitEnd(jobId);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(engineA.jobExplorer().getJobExecutions(left.getJobInstance())).hasSize(2);
		assertThat(runnerOf(jobId)).isIn("node-b4", "node-c4");
		assertThat(exportedPatientIds(job)).containsExactlyInAnyOrderElementsOf(patientIds);
	}

	@Test
	void watchdogOfASurvivor_takesOverADeadNodesRunningJob_butNotALiveNodes() throws Exception {
		// given: a STARTED execution of a node whose lease expired, and a row of the live node A
		String dead = "node-late-" + UUID.randomUUID();
		new NodeLease(jdbc, dead, Duration.ofSeconds(30));
		expire(dead);
		String deadJob = row(BulkJobState.RUNNING, dead);
		JobExecution left = startedExecution(deadJob);
		table.setExecution(deadJob, left.getId());
		String liveJob = row(BulkJobState.RUNNING, NODE_A);
		JobExecution running = startedExecution(liveJob);
		table.setExecution(liveJob, running.getId());
		Node nodeB = node("node-b5");

		// when
		nodeB.watchdog().reconcile();

		// then: the dead node's job runs on B and completes; A's is untouched
		BulkJob job = awaitEnd(deadJob);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(runnerOf(deadJob)).isEqualTo("node-b5");
		assertThat(engineA.jobExplorer().getJobExecution(running.getId()).getStatus()).isEqualTo(BatchStatus.STARTED);
		assertThat(table.find(liveJob).orElseThrow().state()).isEqualTo(BulkJobState.RUNNING);
		assertThat(runnerOf(liveJob)).isEqualTo(NODE_A);
		table.end(liveJob, BulkJobState.DELETED);
	}

	/** Another server process on the same database: its own engine, lease, job table, restarter and watchdog. */
	record Node(BulkBatchEngine engine, NodeLease lease, InterruptedJobRestarter restarter, JobWatchdog watchdog) {}

	private Node node(String nodeId) throws Exception {
		BulkBatchEngine engine = new BulkBatchEngine(dataSource, transactionManager, 2, 2, schema);
		otherEngines.add(engine);
		NodeLease lease = new NodeLease(jdbc, nodeId, Duration.ofSeconds(30));
		BulkJobTable nodeTable = new BulkJobTable(jdbc, nodeId);
		BulkJobService jobService = new BulkJobService(nodeTable, engine, fileStore, new BulkJobFiles(jdbc),
				Duration.ofHours(1), java.time.Clock.systemUTC(), RecoverySettings.defaults(),
				hapibulk.storage.StorageSettings.defaults(), Duration.ofSeconds(1));
		return new Node(engine, lease, new InterruptedJobRestarter(engine, nodeTable, List.of(exportJob), lease),
				new JobWatchdog(engine, nodeTable, jobService, List.of(exportJob), RecoverySettings.defaults(),
						java.time.Clock.systemUTC(), lease));
	}

	/** What kill -9 leaves: no more heartbeats, and a lease that runs out. */
	private void dies(NodeLease lease) {
		lease.stop();
		expire(lease.nodeId());
	}

	private void expire(String nodeId) {
		jdbc.update("UPDATE BULK_NODE SET EXPIRES_AT = ? WHERE NODE_ID = ?", OffsetDateTime.now().minusMinutes(5),
				nodeId);
	}

	private static Callable<Boolean> claimTogether(NodeLease lease, String jobId, CyclicBarrier together) {
		return () -> {
			together.await(30, TimeUnit.SECONDS);
			return lease.claim(jobId);
		};
	}

	private static Void restartTogether(Node node, CyclicBarrier together) throws Exception {
		together.await(30, TimeUnit.SECONDS);
		node.restarter().restartInterrupted();
		return null;
	}

	private String export() {
		return exportJobService.submit(ExportRequest.system(List.of("Patient"), null, "http://localhost/fhir/$export"),
				false, "takeover-client-" + UUID.randomUUID()).id();
	}

	private String row(BulkJobState state, String nodeId) {
		String id = UUID.randomUUID().toString().replace("-", "");
		ExportRequest request = ExportRequest.system(List.of("Patient"), null, "http://localhost/fhir/$export");
		Instant now = Instant.now();
		new BulkJobTable(jdbc, nodeId).insert(new BulkJob(id, BulkJobKind.EXPORT, state, "takeover-client",
				request.requestUrl(), request.toJson(), now, now, now.plus(Duration.ofHours(1)), null, 0, 0, null, null,
				StatusOptions.DEFAULT));
		return id;
	}

	private JobExecution startedExecution(String jobId) {
		try {
			JobExecution execution = engineA.jobRepository().createJobExecution(ExportJobConfig.JOB_NAME,
					new JobParametersBuilder().addString(BulkJobKeys.BULK_JOB_ID, jobId).toJobParameters());
			execution.setStatus(BatchStatus.STARTED);
			execution.setStartTime(LocalDateTime.now());
			engineA.jobRepository().update(execution);
			return execution;
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private String runnerOf(String jobId) {
		return jdbc.queryForObject("SELECT NODE_ID FROM BULK_JOB WHERE JOB_ID = ?", String.class, jobId);
	}

	private BulkJob awaitEnd(String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		return table.find(id).orElseThrow();
	}

	/** Resources the job's last execution wrote itself (a restarted step counts from zero). */
	private long writtenByLastExecution(BulkJob job) {
		return engineA.jobExplorer().getJobExecution(job.executionId()).getStepExecutions().stream()
				.filter(step -> step.getStepName().startsWith("bulkExportTypeStep:"))
				.mapToLong(step -> step.getWriteCount())
				.sum();
	}

	private List<String> exportedPatientIds(BulkJob job) throws IOException {
		return exportedLines(job).stream().map(NodeTakeoverTest::id).toList();
	}

	private List<String> exportedLines(BulkJob job) throws IOException {
		List<String> lines = new ArrayList<>();
		for (BulkManifest.ManifestFile file : StoredManifestJson.read(job.manifestJson()).output()) {
			lines.addAll(Files.readAllLines(files.resolve(job.id()).resolve(file.file())).stream()
					.filter(line -> !line.isBlank()).toList());
		}
		return lines;
	}

	private static String id(String line) {
		return JsonCompare.tree(line).get("id").asText();
	}

	private static Path temp() {
		try {
			return Files.createTempDirectory("hapi-bulk-takeover-files");
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/**
	 * Fault injection: the chosen part-file commit (counted over all jobs) stops its thread as a node that
	 * dies mid-chunk would (before its chunk's transaction commits), until released.
	 */
	static final class PausingFileStore extends LocalFileStore {

		private final AtomicInteger commits = new AtomicInteger();
		private volatile int pauseAt = -1;
		private volatile CountDownLatch paused = new CountDownLatch(1);
		private volatile CountDownLatch released = new CountDownLatch(1);
		private volatile boolean failOnRelease;

		PausingFileStore(Path directory) {
			super(directory);
		}

		void pauseAtCommit(int commit) {
			commits.set(0);
			paused = new CountDownLatch(1);
			released = new CountDownLatch(1);
			failOnRelease = false;
			pauseAt = commit;
		}

		void awaitPaused() throws InterruptedException {
			assertThat(paused.await(2, TimeUnit.MINUTES)).as("a chunk reached the paused commit").isTrue();
		}

		void release() {
			pauseAt = -1;
			released.countDown();
		}

		/** Lets the paused thread go on with an error, as a node that comes back to a dead disk would. */
		void releaseWithFailure() {
			failOnRelease = true;
			release();
		}

		@Override
		public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
			return InterceptedCommits.around(super.openAppender(job, fileName, committedLength), real -> {
				if (commits.incrementAndGet() == pauseAt) {
					paused.countDown();
					try {
						released.await();
					} catch (InterruptedException e) {
						Thread.currentThread().interrupt();
						throw new IOException("interrupted while paused", e);
					}
					if (failOnRelease) {
						throw new IOException("node A's disk went away while it was paused");
					}
				}
				return real.commit();
			});
		}
	}
}
