package hapibulk.job;

import org.springframework.batch.core.Job;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.step.builder.TaskletStepBuilder;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.transaction.PlatformTransactionManager;

import java.util.List;

/**
 * The one shape of every bulk job: a plan step that stores the partitions in the job's execution
 * context, a partitioned worker step (Spring Batch's splitter resumes unfinished partitions from their
 * saved context on a restart), and a manifest step that completes the job row. Every step retries
 * chunks on transient database errors; the job keeps its row's state in step with Spring Batch.
 * <p>
 * Where partitions run is decided in {@link #partitionHandler} alone: on this node's worker pool today;
 * a remote handler (partitions sent to other nodes) is written there once for every kind of job.
 */
public class BulkJobFrame {

	private final BulkBatchEngine engine;
	private final BulkJobStateListener stateListener;
	private final ChunkRetryOnTransientErrors chunkRetry;
	private final int workerThreads;

	public BulkJobFrame(BulkBatchEngine engine, BulkJobStateListener stateListener,
			ChunkRetryOnTransientErrors chunkRetry, int workerThreads) {
		this.engine = engine;
		this.stateListener = stateListener;
		this.chunkRetry = chunkRetry;
		this.workerThreads = workerThreads;
	}

	public Job build(BulkJobDefinition definition) throws Exception {
		PlatformTransactionManager transactions = engine.transactionManager();
		Step plan = taskletStep(definition.planStepName(), definition.plan(), transactions, definition.planListeners());
		Step worker = taskletStep(definition.workerStepName(), definition.worker(),
				definition.workerTransactions() != null ? definition.workerTransactions() : transactions,
				definition.workerListeners());
		Step partitions = engine.stepBuilder(definition.partitionStepName())
				.partitioner(worker)
				.splitter(new PlannedPartitionSplitter(engine.jobRepository(), definition.workerStepName(),
						definition.partitions()))
				.partitionHandler(partitionHandler(worker, definition.waves()))
				.build();
		Step manifest = taskletStep(definition.manifestStepName(), definition.manifest(), transactions, List.of());
		JobBuilder job = engine.jobBuilder(definition.jobName()).listener(stateListener);
		definition.jobListeners().forEach(job::listener);
		return job.start(plan)
				.next(partitions)
				.next(manifest)
				.build();
	}

	/** Runs the partitions on this node's bounded worker pool, wave by wave. */
	private PartitionHandler partitionHandler(Step worker, PartitionWaves waves) throws Exception {
		WaveOrderedPartitionHandler handler = new WaveOrderedPartitionHandler(waves);
		handler.setStep(worker);
		handler.setTaskExecutor(engine.workerExecutor());
		handler.setGridSize(workerThreads);
		handler.afterPropertiesSet();
		return handler;
	}

	private Step taskletStep(String name, Tasklet tasklet, PlatformTransactionManager transactions,
			List<StepExecutionListener> listeners) {
		TaskletStepBuilder step = engine.stepBuilder(name).tasklet(tasklet, transactions);
		listeners.forEach(step::listener);
		return step.exceptionHandler(chunkRetry).listener(chunkRetry).build();
	}
}
