package hapibulk.job;

import hapibulk.metrics.BulkMetrics;
import hapibulk.metrics.ChunkTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.repository.JobExecutionAlreadyRunningException;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.batch.core.explore.support.JobExplorerFactoryBean;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.AbstractJob;
import org.springframework.batch.core.launch.support.TaskExecutorJobLauncher;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.JobRepositoryFactoryBean;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spring Batch, privately: our own job repository, explorer, launcher and thread pools, none of
 * them exposed as beans, so a host that runs Spring Batch itself (Spring Boot's batch
 * auto-configuration) keeps its own untouched and never sees two candidates of a type.
 * <p>
 * Its meters too: Spring Batch records on {@code Metrics.globalRegistry} by default, where a host's
 * registry (Actuator's Prometheus one) meets them and refuses ours when its own {@code spring.batch.*}
 * meters carry other tags. Jobs, steps and the launcher built here record on a private registry.
 */
public class BulkBatchEngine implements DisposableBean {

	private final PlatformTransactionManager transactionManager;
	private final MeterRegistry meterRegistry = new SimpleMeterRegistry();
	private final BulkMetrics metrics;
	private final JobRepository jobRepository;
	private final JobExplorer jobExplorer;
	private final TaskExecutorJobLauncher jobLauncher;
	private final ThreadPoolTaskExecutor launchExecutor;
	private final ThreadPoolTaskExecutor workerExecutor;
	private final ThreadPoolTaskExecutor writerExecutor;
	/** Bulk job ids with an execution queued or running in this process. */
	private final Set<String> liveJobs = ConcurrentHashMap.newKeySet();
	/** Of those, the ones whose execution the job pool has taken (it removes them when done). */
	private final Set<String> handedOver = ConcurrentHashMap.newKeySet();
	/** The bulk job being launched on this thread, for {@link #runLaunched}. */
	private final ThreadLocal<String> launching = new ThreadLocal<>();

	/**
	 * @param transactionManager HAPI's JPA transaction manager: steps that call HAPI's DAOs must run
	 *                           under it, and the job repository shares it so that a chunk and its
	 *                           restart position commit together
	 */
	public BulkBatchEngine(DataSource dataSource, PlatformTransactionManager transactionManager, int concurrentJobs,
			int workerThreads, BulkSchemaInitializer schema) throws Exception {
		this(dataSource, transactionManager, concurrentJobs, workerThreads, schema, RecoverySettings.defaults(),
				BulkMetrics.none());
	}

	/**
	 * @param recovery how the job repository retries its own writes while the database is away
	 * @param metrics  where every step's chunks are timed (our {@code hapi.bulk.*} meters, not Spring Batch's)
	 */
	public BulkBatchEngine(DataSource dataSource, PlatformTransactionManager transactionManager, int concurrentJobs,
			int workerThreads, BulkSchemaInitializer schema, RecoverySettings recovery, BulkMetrics metrics)
			throws Exception {
		this.transactionManager = ConnectionLossTolerantTransactions.of(transactionManager);
		this.metrics = metrics;

		JobRepositoryFactoryBean repositoryFactory = new JobRepositoryFactoryBean();
		repositoryFactory.setDataSource(dataSource);
		repositoryFactory.setTransactionManager(this.transactionManager);
		// JPA transaction managers refuse SERIALIZABLE; job ids are unique anyway.
		repositoryFactory.setIsolationLevelForCreate("ISOLATION_DEFAULT");
		repositoryFactory.afterPropertiesSet();
		this.jobRepository = RetryingJobRepository.wrap(repositoryFactory.getObject(), this::jobExplorer, recovery);

		JobExplorerFactoryBean explorerFactory = new JobExplorerFactoryBean();
		explorerFactory.setDataSource(dataSource);
		explorerFactory.setTransactionManager(this.transactionManager);
		explorerFactory.afterPropertiesSet();
		this.jobExplorer = explorerFactory.getObject();

		this.launchExecutor = pool("bulk-job-", concurrentJobs);
		this.workerExecutor = pool("bulk-worker-", workerThreads);
		this.writerExecutor = pool("bulk-writer-", workerThreads);
		this.jobLauncher = new TaskExecutorJobLauncher();
		jobLauncher.setJobRepository(jobRepository);
		jobLauncher.setTaskExecutor(this::runLaunched);
		jobLauncher.setMeterRegistry(meterRegistry);
		jobLauncher.afterPropertiesSet();
	}

	public PlatformTransactionManager transactionManager() {
		return transactionManager;
	}

	public JobRepository jobRepository() {
		return jobRepository;
	}

	public JobExplorer jobExplorer() {
		return jobExplorer;
	}

	/** Where our jobs and steps record Spring Batch's meters: never the host's registries. */
	public MeterRegistry meterRegistry() {
		return meterRegistry;
	}

	/** A job builder on our repository and private meters: build every job of ours with it. */
	public JobBuilder jobBuilder(String name) {
		return new JobBuilder(name, jobRepository).meterRegistry(meterRegistry);
	}

	/**
	 * A step builder on our repository and private meters, its chunks timed on the host's registry when
	 * there is one: build every step of ours with it.
	 */
	public StepBuilder stepBuilder(String name) {
		StepBuilder builder = new StepBuilder(name, jobRepository).meterRegistry(meterRegistry);
		return metrics.isOn() ? builder.listener(new ChunkTimer(metrics, name)) : builder;
	}

	/** Whether jobs can still be launched and run here: the pools are up (not shut down with the context). */
	public boolean isRunning() {
		return !launchExecutor.getThreadPoolExecutor().isShutdown() && !workerExecutor.getThreadPoolExecutor().isShutdown()
				&& !writerExecutor.getThreadPoolExecutor().isShutdown();
	}

	/** The bounded pool that partitions of every job share. */
	public TaskExecutor workerExecutor() {
		return workerExecutor;
	}

	/**
	 * The pool on which partitions hand off parts of their work and wait for them. Never the worker pool:
	 * partitions that wait there on tasks queued behind other partitions could wait forever.
	 */
	public AsyncTaskExecutor writerExecutor() {
		return writerExecutor;
	}

	/**
	 * Creates the job execution now and runs it on the job pool. The bulk job counts as live in this
	 * process from now until its execution's thread is done (queued executions included).
	 *
	 * @throws JobExecutionAlreadyRunningException when this process already runs that bulk job
	 */
	public JobExecution launch(Job job, JobParameters parameters) throws Exception {
		String jobId = parameters.getString(BulkJobKeys.BULK_JOB_ID);
		if (jobId != null && !liveJobs.add(jobId)) {
			throw new JobExecutionAlreadyRunningException("Bulk job " + jobId + " already runs in this process");
		}
		if (job instanceof AbstractJob observable) {
			// Actuator's BatchObservabilityBeanPostProcessor gives every Job bean the host's ObservationRegistry,
			// which records spring.batch.job meters on the host's registry: our jobs are not observed.
			observable.setObservationRegistry(ObservationRegistry.NOOP);
		}
		launching.set(jobId);
		try {
			return jobLauncher.run(job, parameters);
		} catch (Exception | Error e) {
			if (jobId != null && !handedOver(jobId)) {
				liveJobs.remove(jobId);
			}
			throw e;
		} finally {
			launching.remove();
		}
	}

	/**
	 * Whether this process runs (or has queued) an execution of the bulk job: the watchdog leaves those
	 * alone, whatever the database says of them.
	 */
	public boolean isLive(String jobId) {
		return liveJobs.contains(jobId);
	}

	/**
	 * Records an execution that no thread runs any more (a dead process's, or one whose last update was
	 * lost with the database: UNKNOWN) as FAILED, with its unfinished steps, so that Spring Batch will
	 * restart it from the positions its steps committed.
	 */
	public void markFailed(JobExecution execution, String reason) {
		LocalDateTime now = LocalDateTime.now();
		ExitStatus failed = ExitStatus.FAILED.addExitDescription(reason);
		for (StepExecution step : execution.getStepExecutions()) {
			if (step.getStatus().isRunning() || step.getStatus() == BatchStatus.UNKNOWN) {
				step.setStatus(BatchStatus.FAILED);
				step.setExitStatus(failed);
				step.setEndTime(now);
				jobRepository.update(step);
			}
		}
		if (execution.getStatus().isRunning() || execution.getStatus() == BatchStatus.UNKNOWN) {
			execution.setStatus(BatchStatus.FAILED);
			execution.setExitStatus(failed);
			execution.setEndTime(now);
			jobRepository.update(execution);
		}
	}

	/** The launcher hands each execution to this executor; it runs on the job pool and stops being live when done. */
	private void runLaunched(Runnable execution) {
		String jobId = launching.get();
		if (jobId == null) {
			launchExecutor.execute(execution);
			return;
		}
		handedOver.add(jobId);
		launchExecutor.execute(() -> {
			try {
				execution.run();
			} finally {
				handedOver.remove(jobId);
				liveJobs.remove(jobId);
			}
		});
	}

	private boolean handedOver(String jobId) {
		return handedOver.contains(jobId);
	}

	/** The step executions of a job execution, in the order they started (empty when Spring Batch has none). */
	public List<StepProgress> steps(long executionId) {
		JobExecution execution = jobExplorer.getJobExecution(executionId);
		if (execution == null) {
			return List.of();
		}
		return execution.getStepExecutions().stream()
				.sorted(Comparator.comparing(StepExecution::getId))
				.map(step -> new StepProgress(step.getStepName(), step.getStatus().name(), step.getWriteCount(),
						step.getCommitCount(), instant(step.getStartTime()), instant(step.getEndTime()),
						step.getExecutionContext().getString(BulkJobKeys.PARTITION_NODE, null)))
				.toList();
	}

	private static Instant instant(LocalDateTime time) {
		return time == null ? null : time.atZone(ZoneId.systemDefault()).toInstant();
	}

	/** Asks a running execution to stop; its steps see it at their next chunk boundary. */
	public void stop(long executionId) {
		for (int attempt = 1; ; attempt++) {
			JobExecution execution = jobExplorer.getJobExecution(executionId);
			if (execution == null || !execution.isRunning()) {
				return;
			}
			execution.setStatus(BatchStatus.STOPPING);
			try {
				jobRepository.update(execution);
				return;
			} catch (OptimisticLockingFailureException raced) {
				// The job's own thread updated the execution meanwhile: read it again.
				if (attempt == 5) {
					throw raced;
				}
			}
		}
	}

	@Override
	public void destroy() {
		launchExecutor.shutdown();
		workerExecutor.shutdown();
		writerExecutor.shutdown();
	}

	private static ThreadPoolTaskExecutor pool(String prefix, int threads) {
		ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
		executor.setThreadNamePrefix(prefix);
		executor.setCorePoolSize(threads);
		executor.setMaxPoolSize(threads);
		executor.setDaemon(true);
		executor.initialize();
		return executor;
	}
}
