package hapibulk.job;

import org.springframework.batch.core.Job;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.step.NoSuchStepException;
import org.springframework.batch.core.step.StepLocator;
import org.springframework.batch.core.step.builder.TaskletStepBuilder;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.transaction.PlatformTransactionManager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one shape of every bulk job: a plan step that stores the partitions in the job's execution
 * context, a partitioned worker step (Spring Batch's splitter resumes unfinished partitions from their
 * saved context on a restart), and a manifest step that completes the job row. Every step retries
 * chunks on transient database errors; the job keeps its row's state in step with Spring Batch.
 * <p>
 * Where partitions run is decided in {@link #partitionHandler} alone, once for every kind of job: on this
 * node's worker pool, or, in cluster mode ({@link RemotePartitions}), on whichever nodes take them. Every worker
 * step built here can be looked up by name ({@link #workerSteps}): that is how a node runs a partition that
 * another node's job sent.
 */
public class BulkJobFrame {

	private final BulkBatchEngine engine;
	private final BulkJobStateListener stateListener;
	private final ChunkRetryOnTransientErrors chunkRetry;
	private final int workerThreads;
	/** Null: partitions run on this node's worker pool. */
	private final RemotePartitions remote;
	private final Map<String, Step> workerSteps = new ConcurrentHashMap<>();

	public BulkJobFrame(BulkBatchEngine engine, BulkJobStateListener stateListener,
			ChunkRetryOnTransientErrors chunkRetry, int workerThreads) {
		this(engine, stateListener, chunkRetry, workerThreads, null);
	}

	/** @param remote where partitions run in cluster mode; null: on this node's worker pool */
	public BulkJobFrame(BulkBatchEngine engine, BulkJobStateListener stateListener,
			ChunkRetryOnTransientErrors chunkRetry, int workerThreads, RemotePartitions remote) {
		this.engine = engine;
		this.stateListener = stateListener;
		this.chunkRetry = chunkRetry;
		this.workerThreads = workerThreads;
		this.remote = remote;
	}

	public Job build(BulkJobDefinition definition) throws Exception {
		PlatformTransactionManager transactions = engine.transactionManager();
		Step plan = taskletStep(definition.planStepName(), definition.plan(), transactions, definition.planListeners());
		Step worker = taskletStep(definition.workerStepName(), definition.worker(),
				definition.workerTransactions() != null ? definition.workerTransactions() : transactions,
				workerListeners(definition));
		workerSteps.put(worker.getName(), worker);
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

	/** The worker steps of every job built here, by name: what a node runs for a partition it takes. */
	public StepLocator workerSteps() {
		return new StepLocator() {
			@Override
			public Collection<String> getStepNames() {
				return List.copyOf(workerSteps.keySet());
			}

			@Override
			public Step getStep(String stepName) throws NoSuchStepException {
				Step step = workerSteps.get(stepName);
				if (step == null) {
					throw new NoSuchStepException("No bulk worker step named " + stepName);
				}
				return step;
			}
		};
	}

	private List<StepExecutionListener> workerListeners(BulkJobDefinition definition) {
		if (remote == null) {
			return definition.workerListeners();
		}
		List<StepExecutionListener> listeners = new ArrayList<>(definition.workerListeners());
		listeners.addAll(remote.workerListeners());
		return listeners;
	}

	/** Runs the partitions wave by wave: sent to the cluster's nodes, or on this node's bounded worker pool. */
	private PartitionHandler partitionHandler(Step worker, PartitionWaves waves) throws Exception {
		if (remote != null) {
			return remote.handler(worker.getName(), waves);
		}
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
