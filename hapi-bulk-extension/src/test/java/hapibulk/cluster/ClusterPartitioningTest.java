package hapibulk.cluster;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import com.fasterxml.jackson.databind.ObjectMapper;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.job.recovery.JobWatchdog;
import hapibulk.job.NodeLease;
import hapibulk.job.PartitionClaims;
import hapibulk.status.ManifestJson;
import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.JobFolder;
import hapibulk.storage.LocalFileStore;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.InterceptedCommits;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Cluster mode over a real RabbitMQ (127.0.0.1:5672) and one shared database: an accept-only node runs the
 * export and import jobs and sends their partitions to the queue; two worker nodes run them. Needs RabbitMQ: tagged
 * {@code cluster}, run by the Maven profile {@code cluster} (.ci/run), skipped where RabbitMQ does not answer.
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterPartitioningTest {

	private static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole",
			"Patient", "Device", "AllergyIntolerance", "Encounter");
	private static final String WORKER_STEP = "bulkExportTypeStep:";
	private static final String IMPORT_WORKER_STEP = "bulkImportInputStep:";
	/** Not among the exported types: referenced types first, each input cut into parts for parallel partitions. */
	private static final Map<String, Integer> IMPORTED_PARTS = Map.of("Condition", 3, "Immunization", 2,
			"MedicationRequest", 3);

	ClusterNodes cluster;
	AnnotationConfigApplicationContext manager;
	AnnotationConfigApplicationContext worker1;
	AnnotationConfigApplicationContext worker2;
	AnnotationConfigApplicationContext doomed;
	AnnotationConfigApplicationContext doomedManager;
	final List<String> loaded = new ArrayList<>();
	final Path inputs = temp("hapi-bulk-cluster-inputs");

	@BeforeAll
	void startCluster() throws IOException {
		ClusterNodes.assumeRabbitMqRuns();
		cluster = new ClusterNodes(Files.createTempDirectory("hapi-bulk-cluster-test"), inputs);
		manager = cluster.start("manager", false);
		worker1 = cluster.start("worker-1", true);
		worker2 = cluster.start("worker-2", true);
		HapiLoader loader = new HapiLoader(manager.getBean(FhirContext.class), manager.getBean(IFhirSystemDao.class));
		for (String type : TYPES) {
			loader.load(SyntheaData.lines(type));
			SyntheaData.lines(type).forEach(line -> loaded.add(type + "/" + id(line)));
		}
	}

	@AfterAll
	void stopCluster() {
		for (AnnotationConfigApplicationContext node : new AnnotationConfigApplicationContext[] {doomedManager, doomed, worker2,
				worker1,
				manager}) {
			if (node != null) {
				node.close();
			}
		}
		if (cluster != null) {
			cluster.deleteQueue();
		}
	}

	@Test
	void export_runsItsPartitionsOnBothWorkers_andWritesEveryResourceOnce() throws Exception {
		// when: the accept-only node runs an export
		BulkJob job = exportAndWait();

		// then: a partition per type, the large type cut into key ranges; each ran to completion, none on the
		// manager, and both workers took some
		List<StepExecution> partitions = partitions(job);
		List<String> expected = new ArrayList<>(TYPES.stream().filter(type -> !type.equals("Encounter"))
				.map(type -> WORKER_STEP + type).toList());
		for (int range = 1; range <= 5; range++) {
			expected.add(WORKER_STEP + "Encounter." + range);
		}
		assertThat(partitions).extracting(StepExecution::getStepName).containsExactlyInAnyOrderElementsOf(expected);
		// and the ranges share the type about equally
		assertThat(partitions).filteredOn(partition -> partition.getStepName().contains("Encounter."))
				.allSatisfy(range -> assertThat(range.getWriteCount()).isBetween(200L, 300L));
		assertThat(partitions).allSatisfy(partition -> assertThat(partition.getStatus()).isEqualTo(BatchStatus.COMPLETED));
		assertThat(partitions).extracting(ClusterPartitioningTest::node).containsOnly("worker-1", "worker-2")
				.contains("worker-1", "worker-2");
		// and every resource is in the manifest's files exactly once, the counts and hashes right
		assertThat(exportedResources(job)).containsExactlyInAnyOrderElementsOf(loaded);
	}

	@Test
	void workerKilledMidPartition_hasItsPartitionRunByAnother_andTheExportWritesEveryResourceOnce() throws Exception {
		// given: a third worker with one thread, the only worker listening, that stops at its first chunk commit
		containers().forEach(SimpleMessageListenerContainer::stop);
		// (a short lease: the others resume its partition only once its lease has expired)
		doomed = cluster.start("worker-doomed", true, Map.of("hapi.bulk.worker-threads", "1",
				"hapi.bulk.cluster.lease-duration", "3s"), StallingNode.class);
		String jobId = submitExport();
		assertThat(StallingFileStore.STALLED.await(2, TimeUnit.MINUTES)).as("the doomed worker took a partition").isTrue();
		StepExecution stalled = partitionsOf(jobId).stream().filter(partition -> node(partition).equals("worker-doomed"))
				.findFirst().orElseThrow();

		// when: it is killed with its request unacknowledged, and the other workers listen again
		ClusterNodes.kill(doomed);
		ClusterNodes.forgetStepRegistration(stalled.getId());
		containers().forEach(SimpleMessageListenerContainer::start);

		// then: the export completes, the stalled partition finished by a surviving worker
		BulkJob job = awaitCompleted(jobId);
		List<StepExecution> partitions = partitions(job);
		assertThat(partitions).allSatisfy(partition -> assertThat(partition.getStatus()).isEqualTo(BatchStatus.COMPLETED));
		assertThat(partitions).extracting(ClusterPartitioningTest::node).containsOnly("worker-1", "worker-2");
		assertThat(partitions).extracting(StepExecution::getStepName).contains(stalled.getStepName());
		// and nothing the doomed worker wrote is lost or repeated
		assertThat(exportedResources(job)).containsExactlyInAnyOrderElementsOf(loaded);
	}

	@Test
	void managerKilledMidExport_itsPartitionsOnLiveWorkersStopFirst_thenASurvivorRestartsIt_everyResourceOnce()
			throws Exception {
		// given: an accept-only node with a short lease runs an export; the only worker listening commits slowly
		containers().forEach(SimpleMessageListenerContainer::stop);
		AnnotationConfigApplicationContext slowWorker = cluster.start("worker-slow", true, SlowCommitNode.class);
		try {
			doomedManager = cluster.start("manager-doomed", false, Map.of("hapi.bulk.cluster.lease-duration", "2s"));
			String jobId = doomedManager.getBean(ExportJobService.class)
					.submit(ExportRequest.system(TYPES, null, "http://localhost/fhir/$export"), false).id();
			long firstExecution = await().atMost(Duration.ofMinutes(2)).until(
					() -> manager.getBean(BulkJobTable.class).find(jobId).orElseThrow().executionId(), id -> id != null);
			await().atMost(Duration.ofMinutes(2)).until(() -> partitions(firstExecution).stream()
					.anyMatch(partition -> partition.getWriteCount() > 0));

			// when: the node that accepted it dies, and a survivor's watchdog runs once its lease has expired
			ClusterNodes.kill(doomedManager);
			NodeLease survivor = manager.getBean(NodeLease.class);
			await().atMost(Duration.ofSeconds(30)).until(() -> !survivor.isLive("manager-doomed"));
			JobWatchdog watchdog = manager.getBean(JobWatchdog.class);
			assertThat(watchdog.reconcile().restarted()).as("no restart while partitions run on a live worker").isZero();

			// then: the execution is asked to stop, and the running partitions end at a chunk boundary, not FAILED
			// under the worker that runs them
			assertThat(jobExecution(firstExecution).getStatus()).isEqualTo(BatchStatus.STOPPING);
			await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
					.until(() -> watchdog.reconcile().restarted() == 1);
			List<StepExecution> ranOnTheWorker = partitions(firstExecution).stream()
					.filter(partition -> node(partition).equals("worker-slow")).toList();
			assertThat(ranOnTheWorker).isNotEmpty().allSatisfy(partition -> assertThat(partition.getStatus())
					.isIn(BatchStatus.STOPPED, BatchStatus.COMPLETED));

			// and the restarted job completes with every resource exactly once
			BulkJob job = awaitCompleted(jobId);
			assertThat(job.executionId()).isNotEqualTo(firstExecution);
			assertThat(exportedResources(job)).containsExactlyInAnyOrderElementsOf(loaded);
		} finally {
			slowWorker.close();
			containers().forEach(SimpleMessageListenerContainer::start);
		}
	}

	@Test
	void workerShutDownNormallyMidExport_handsItsPartitionsBack_andAnotherWorkerFinishesThem_everyResourceOnce()
			throws Exception {
		// given: the only worker listening commits slowly, and has committed chunks of its partitions
		containers().forEach(SimpleMessageListenerContainer::stop);
		AnnotationConfigApplicationContext leaving = cluster.start("worker-leaving", true, SlowCommitNode.class);
		String jobId;
		List<Long> startedThere;
		try {
			jobId = submitExport();
			// Read once: a partition of a small type may complete between two reads, running no more.
			startedThere = await().atMost(Duration.ofMinutes(2)).until(() -> {
				List<StepExecution> running = partitionsOf(jobId).stream()
						.filter(partition -> node(partition).equals("worker-leaving") && partition.getStatus().isRunning())
						.toList();
				return running.stream().anyMatch(partition -> partition.getWriteCount() > 0)
						? running.stream().map(StepExecution::getId).toList() : List.<Long>of();
			}, running -> !running.isEmpty());
		} finally {
			// when: it is shut down as in a rolling deploy (its context closes: lifecycle stop, then beans), and
			// the other workers listen again
			leaving.close();
			containers().forEach(SimpleMessageListenerContainer::start);
		}

		// then: the job completes in its first execution; the partitions the leaving worker was running were handed
		// back and finished by the others (the same partition executions, resumed), none failed
		BulkJob job = awaitCompleted(jobId);
		List<StepExecution> partitions = partitions(job);
		assertThat(engineRestarts(job)).isZero();
		assertThat(startedThere).isNotEmpty();
		assertThat(partitions).allSatisfy(partition -> {
			assertThat(partition.getStatus()).isEqualTo(BatchStatus.COMPLETED);
			assertThat(partition.getExitStatus().getExitCode()).isEqualTo("COMPLETED");
		});
		assertThat(partitions).filteredOn(partition -> startedThere.contains(partition.getId()))
				.hasSameSizeAs(startedThere)
				.extracting(ClusterPartitioningTest::node).allMatch(node -> node.equals("worker-1") || node.equals("worker-2"));
		// and every resource is exported exactly once
		assertThat(exportedResources(job)).containsExactlyInAnyOrderElementsOf(loaded);
	}

	@Test
	void import_runsItsInputsOnBothWorkers_wave_by_wave_andStoresEveryResource() throws Exception {
		// given: each type's file cut into parts, referrers listed first
		List<ImportRequest.Input> parts = new ArrayList<>();
		for (String type : List.of("MedicationRequest", "Immunization", "Condition")) {
			List<String> lines = SyntheaData.lines(type);
			int count = IMPORTED_PARTS.get(type);
			for (int part = 0; part < count; part++) {
				Path file = inputs.resolve(type + "-" + part + ".ndjson");
				Files.write(file, lines.subList(part * lines.size() / count, (part + 1) * lines.size() / count));
				parts.add(new ImportRequest.Input(type, file.toUri().toString()));
			}
		}

		// when: the accept-only node runs the import
		String jobId = manager.getBean(ImportJobService.class)
				.submit(new ImportRequest(null, null, null, parts, "http://localhost/fhir/$import"), null).id();
		BulkJob job = awaitCompleted(jobId);

		// then: every input was a partition, run by the workers, both of them
		List<StepExecution> partitions = partitions(job.executionId(), IMPORT_WORKER_STEP);
		assertThat(partitions).hasSize(parts.size());
		assertThat(partitions).allSatisfy(partition -> assertThat(partition.getStatus()).isEqualTo(BatchStatus.COMPLETED));
		assertThat(partitions).extracting(ClusterPartitioningTest::node).containsOnly("worker-1", "worker-2")
				.contains("worker-1", "worker-2");
		// and a wave started only after every partition of the waves before it had ended
		for (StepExecution partition : partitions) {
			for (StepExecution earlier : partitions) {
				if (wave(earlier) < wave(partition)) {
					assertThat(earlier.getEndTime()).as(earlier.getStepName() + " before " + partition.getStepName())
							.isBeforeOrEqualTo(partition.getStartTime());
				}
			}
		}
		// and every line is stored
		assertThat(StoredManifestJson.read(job.manifestJson()).error()).isEmpty();
		for (String type : IMPORTED_PARTS.keySet()) {
			assertThat(manager.getBean(DaoRegistry.class).getResourceDao(type)
					.search(SearchParameterMap.newSynchronous(), new SystemRequestDetails()).size())
					.as(type).isEqualTo(SyntheaData.lines(type).size());
		}
	}

	@Test
	void forgedRequests_aWrongStepName_orAPartitionAnotherLiveNodeHolds_areNotRun() throws Exception {
		// given: no worker listens, and an export's partition requests wait in the queue
		containers().forEach(SimpleMessageListenerContainer::stop);
		String jobId;
		try {
			jobId = submitExport();
			long execution = await().atMost(Duration.ofMinutes(2)).until(
					() -> manager.getBean(BulkJobTable.class).find(jobId).orElseThrow().executionId(), id -> id != null);
			await().atMost(Duration.ofMinutes(2)).until(() -> !partitions(execution).isEmpty());
			StepExecution target = partitions(execution).get(0);
			PartitionWorker worker = (PartitionWorker) worker1.getBean(SimpleMessageListenerContainer.class)
					.getMessageListener();

			// when: a request names the import's worker step for this export partition, or a step no job has
			// then: it is refused for good (not requeued), and the partition is not run
			for (String forgedStep : List.of("bulkImportInputStep", "someOtherStep")) {
				assertThatThrownBy(() -> worker.onMessage(request(execution, target.getId(), forgedStep)))
						.isInstanceOf(AmqpRejectAndDontRequeueException.class).hasMessageContaining("BULK-0705");
				assertNotRun(execution, target.getId());
			}

			// given: worker-2 has claimed the partition (as it does while it runs it)
			PartitionClaims claimsOfWorker2 = worker2.getBean(PartitionClaims.class);
			assertThat(claimsOfWorker2.claim(target.getId())).isTrue();

			// when: the partition's genuine request reaches worker-1 too (handed out twice, or replayed)
			// then: worker-1 does not run it; the request goes back to the queue
			assertThatThrownBy(() -> worker.onMessage(request(execution, target.getId(),
					WORKER_STEP.substring(0, WORKER_STEP.length() - 1))))
					.isInstanceOf(ImmediateRequeueAmqpException.class);
			assertNotRun(execution, target.getId());
			assertThat(worker1.getBean(PartitionClaims.class).holder(target.getId())).contains("worker-2");

			// when: worker-2 gives the partition up
			claimsOfWorker2.release(target.getId());
		} finally {
			containers().forEach(SimpleMessageListenerContainer::start);
		}

		// then: the queued requests run every partition once; the export writes every resource exactly once
		BulkJob job = awaitCompleted(jobId);
		assertThat(partitions(job)).allSatisfy(partition -> assertThat(partition.getStatus()).isEqualTo(BatchStatus.COMPLETED));
		assertThat(exportedResources(job)).containsExactlyInAnyOrderElementsOf(loaded);
	}

	private static Message request(long jobExecutionId, long stepExecutionId, String stepName) {
		return new Message((jobExecutionId + ":" + stepExecutionId + ":" + stepName).getBytes(StandardCharsets.UTF_8),
				new MessageProperties());
	}

	/** The partition is still waiting: not started, and no node recorded as its runner. */
	private void assertNotRun(long jobExecutionId, long stepExecutionId) {
		StepExecution partition = manager.getBean(BulkBatchEngine.class).jobExplorer()
				.getStepExecution(jobExecutionId, stepExecutionId);
		assertThat(partition.getStatus()).isEqualTo(BatchStatus.STARTING);
		assertThat(partition.getExecutionContext().containsKey(BulkJobKeys.PARTITION_NODE)).isFalse();
	}

	private static int wave(StepExecution importPartition) {
		try {
			return new ObjectMapper().readTree(importPartition.getExecutionContext().getString("import.partition"))
					.get("wave").asInt();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static Path temp(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private List<SimpleMessageListenerContainer> containers() {
		return List.of(worker1.getBean(SimpleMessageListenerContainer.class),
				worker2.getBean(SimpleMessageListenerContainer.class));
	}

	private String submitExport() {
		return manager.getBean(ExportJobService.class)
				.submit(ExportRequest.system(TYPES, null, "http://localhost/fhir/$export"), false).id();
	}

	private BulkJob exportAndWait() {
		return awaitCompleted(submitExport());
	}

	private BulkJob awaitCompleted(String jobId) {
		BulkJobTable table = manager.getBean(BulkJobTable.class);
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
				.until(() -> !table.find(jobId).orElseThrow().state().isActive());
		BulkJob job = table.find(jobId).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	private List<StepExecution> partitions(BulkJob job) {
		return partitions(job.executionId());
	}

	private List<StepExecution> partitionsOf(String jobId) {
		return partitions(manager.getBean(BulkJobTable.class).find(jobId).orElseThrow().executionId());
	}

	private List<StepExecution> partitions(long executionId) {
		return partitions(executionId, WORKER_STEP);
	}

	private List<StepExecution> partitions(long executionId, String workerStep) {
		return manager.getBean(BulkBatchEngine.class).jobExplorer().getJobExecution(executionId)
				.getStepExecutions().stream()
				.filter(step -> step.getStepName().startsWith(workerStep))
				.toList();
	}

	/** Executions of the job's instance beyond its first. */
	private int engineRestarts(BulkJob job) {
		JobExecution execution = jobExecution(job.executionId());
		return manager.getBean(BulkBatchEngine.class).jobExplorer().getJobExecutions(execution.getJobInstance()).size() - 1;
	}

	private JobExecution jobExecution(long executionId) {
		return manager.getBean(BulkBatchEngine.class).jobExplorer().getJobExecution(executionId);
	}

	private static String node(StepExecution partition) {
		return partition.getExecutionContext().getString(BulkJobKeys.PARTITION_NODE, "none");
	}

	/** Every resource line of the manifest's files as Type/id, checking each file's count and SHA-256. */
	private List<String> exportedResources(BulkJob job) throws Exception {
		List<String> resources = new ArrayList<>();
		for (BulkManifest.ManifestFile file : StoredManifestJson.read(job.manifestJson()).output()) {
			byte[] bytes = Files.readAllBytes(cluster.files.resolve(job.id()).resolve(file.file()));
			List<String> lines = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines()
					.filter(line -> !line.isBlank()).toList();
			assertThat(lines).as(file.file()).hasSize((int) file.count());
			assertThat(file.sha256()).as(file.file())
					.isEqualToIgnoringCase(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
			lines.forEach(line -> resources.add(file.type() + "/" + id(line)));
		}
		return resources;
	}

	private static String id(String line) {
		return JsonCompare.tree(line).get("id").asText();
	}

	@Configuration(proxyBeanMethods = false)
	static class SlowCommitNode {
		@Bean
		@Primary
		LocalFileStore slowCommitFileStore(org.springframework.core.env.Environment environment) {
			return new LocalFileStore(Path.of(environment.getProperty("hapi.bulk.file-directory"))) {
				@Override
				public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength)
						throws IOException {
					return InterceptedCommits.around(super.openAppender(job, fileName, committedLength), real -> {
						try {
							Thread.sleep(150);
						} catch (InterruptedException e) {
							Thread.currentThread().interrupt();
						}
						return real.commit();
					});
				}
			};
		}
	}

	@Configuration(proxyBeanMethods = false)
	static class StallingNode {
		@Bean
		@Primary
		StallingFileStore stallingFileStore(org.springframework.core.env.Environment environment) {
			return new StallingFileStore(Path.of(environment.getProperty("hapi.bulk.file-directory")));
		}
	}

	/** A node that stops at its first chunk commit, as a process does when killed there, and never goes on. */
	static final class StallingFileStore extends LocalFileStore {

		static final CountDownLatch STALLED = new CountDownLatch(1);
		/** Never released: the test ends with the node's context closed, which interrupts the wait. */
		static final CountDownLatch RELEASED = new CountDownLatch(1);

		StallingFileStore(Path directory) {
			super(directory);
		}

		@Override
		public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
			return InterceptedCommits.around(super.openAppender(job, fileName, committedLength), real -> {
				STALLED.countDown();
				try {
					RELEASED.await();
				} catch (InterruptedException e) {
					Thread.currentThread().interrupt();
				}
				throw new IOException("the killed worker never commits");
			});
		}
	}
}
