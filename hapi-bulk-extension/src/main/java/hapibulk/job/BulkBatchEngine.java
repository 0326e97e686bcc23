package hapibulk.job;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.batch.core.explore.support.JobExplorerFactoryBean;
import org.springframework.batch.core.job.builder.JobBuilder;
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
	private final JobRepository jobRepository;
	private final JobExplorer jobExplorer;
	private final TaskExecutorJobLauncher jobLauncher;
	private final ThreadPoolTaskExecutor launchExecutor;
	private final ThreadPoolTaskExecutor workerExecutor;
	private final ThreadPoolTaskExecutor writerExecutor;

	/**
	 * @param transactionManager HAPI's JPA transaction manager: steps that call HAPI's DAOs must run
	 *                           under it, and the job repository shares it so that a chunk and its
	 *                           restart position commit together
	 */
	public BulkBatchEngine(DataSource dataSource, PlatformTransactionManager transactionManager, int concurrentJobs,
			int workerThreads, BulkSchemaInitializer schema) throws Exception {
		this.transactionManager = transactionManager;

		JobRepositoryFactoryBean repositoryFactory = new JobRepositoryFactoryBean();
		repositoryFactory.setDataSource(dataSource);
		repositoryFactory.setTransactionManager(transactionManager);
		// JPA transaction managers refuse SERIALIZABLE; job ids are unique anyway.
		repositoryFactory.setIsolationLevelForCreate("ISOLATION_DEFAULT");
		repositoryFactory.afterPropertiesSet();
		this.jobRepository = repositoryFactory.getObject();

		JobExplorerFactoryBean explorerFactory = new JobExplorerFactoryBean();
		explorerFactory.setDataSource(dataSource);
		explorerFactory.setTransactionManager(transactionManager);
		explorerFactory.afterPropertiesSet();
		this.jobExplorer = explorerFactory.getObject();

		this.launchExecutor = pool("bulk-job-", concurrentJobs);
		this.workerExecutor = pool("bulk-worker-", workerThreads);
		this.writerExecutor = pool("bulk-writer-", workerThreads);
		this.jobLauncher = new TaskExecutorJobLauncher();
		jobLauncher.setJobRepository(jobRepository);
		jobLauncher.setTaskExecutor(launchExecutor);
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

	/** A step builder on our repository and private meters: build every step of ours with it. */
	public StepBuilder stepBuilder(String name) {
		return new StepBuilder(name, jobRepository).meterRegistry(meterRegistry);
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

	/** Creates the job execution now and runs it on the job pool. */
	public JobExecution launch(Job job, JobParameters parameters) throws Exception {
		return jobLauncher.run(job, parameters);
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
