package hapibulk.imports.job;

import hapibulk.job.PlannedPartitionSplitter;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import hapibulk.config.BulkProperties;
import hapibulk.imports.ImportSettings;
import hapibulk.imports.ImportSources;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobStateListener;
import hapibulk.job.BulkJobTable;
import hapibulk.job.ChunkRetryOnTransientErrors;
import hapibulk.storage.BulkFileStore;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.support.transaction.ResourcelessTransactionManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;

/**
 * The import job: plan (one partition per input, in waves by type) → the partitions, wave by wave,
 * on the worker pool → manifest.
 */
@Configuration(proxyBeanMethods = false)
public class ImportJobConfig {

	public static final String JOB_NAME = "bulkImportJob";
	public static final String JOB_BEAN = "hapiBulkImportJob";
	static final String WORKER_STEP = "bulkImportInputStep";
	/** Below this, a slice's own transaction and thread cost more than the parallel write saves. */
	private static final int MIN_SLICE_SIZE = 100;
	/** How soon a cancel frees a worker blocked on a source. */
	private static final Duration CANCEL_CHECK_INTERVAL = Duration.ofSeconds(1);

	@Bean
	public ImportSources hapiBulkImportSources(BulkProperties properties) {
		return new ImportSources(properties.imports());
	}

	@Bean
	CancelledInputCloser hapiBulkImportInputCloser(BulkJobTable table) {
		return new CancelledInputCloser(table, CANCEL_CHECK_INTERVAL);
	}

	@Bean(name = JOB_BEAN)
	public Job hapiBulkImportJob(BulkBatchEngine engine, BulkJobTable table, BulkJobStateListener stateListener,
			ChunkRetryOnTransientErrors chunkRetry,
			ImportSources hapiBulkImportSources, BulkFileStore fileStore, BulkProperties properties,
			FhirContext fhirContext, DaoRegistry daoRegistry, EntityManagerFactory entityManagerFactory,
			PartitionSettings partitionSettings, CancelledInputCloser hapiBulkImportInputCloser) throws Exception {
		JobRepository repository = engine.jobRepository();
		PlatformTransactionManager transactionManager = engine.transactionManager();
		ImportSettings settings = properties.imports();

		Step plan = engine.stepBuilder("bulkImportPlanStep")
				.tasklet(new ImportPlanTasklet(table, hapiBulkImportSources), transactionManager)
				.exceptionHandler(chunkRetry).listener(chunkRetry)
				.build();
		EntityManager entityManager = SharedEntityManagerCreator.createSharedEntityManager(entityManagerFactory);
		// Keys are looked up by type and id only, which is right only when HAPI keeps one partition.
		StoredIdPrefetch prefetch = partitionSettings.isPartitioningEnabled() ? null
				: new StoredIdPrefetch(fhirContext, entityManager);
		ImportResourceStore store = new ImportResourceStore(daoRegistry, entityManager, prefetch);
		TransactionTemplate transaction = new TransactionTemplate(transactionManager);
		SlicedChunkWriter chunkWriter = new SlicedChunkWriter(store, transaction, engine.writerExecutor(),
				properties.importParallelWrites(), MIN_SLICE_SIZE);
		ImportInputTasklet inputTasklet = new ImportInputTasklet(hapiBulkImportSources, fhirContext, store, chunkWriter,
				fileStore, table, repository, transaction, settings.chunkSize(),
				Math.toIntExact(Math.min(Integer.MAX_VALUE - 16, settings.maxLineLength().toBytes())),
				settings.maxErrorLines(), hapiBulkImportInputCloser);
		// The tasklet opens its own transactions on HAPI's manager (writes, then the cursor).
		Step worker = engine.stepBuilder(WORKER_STEP)
				.tasklet(inputTasklet, new ResourcelessTransactionManager())
				.listener(inputTasklet)
				.exceptionHandler(chunkRetry).listener(chunkRetry)
				.build();
		WaveOrderedPartitionHandler handler = new WaveOrderedPartitionHandler();
		handler.setStep(worker);
		handler.setTaskExecutor(engine.workerExecutor());
		handler.setGridSize(properties.workerThreads());
		handler.afterPropertiesSet();
		Step partitions = engine.stepBuilder("bulkImportPartitionStep")
				.partitioner(worker)
				.splitter(new PlannedPartitionSplitter(repository, WORKER_STEP, ImportPlanTasklet::partitions))
				.partitionHandler(handler)
				.build();
		Step manifest = engine.stepBuilder("bulkImportManifestStep")
				.tasklet(new ImportManifestTasklet(repository, table, WORKER_STEP, properties.requiresAccessToken(),
						properties.retention(), Clock.systemUTC()), transactionManager)
				.exceptionHandler(chunkRetry).listener(chunkRetry)
				.build();
		return engine.jobBuilder(JOB_NAME)
				.listener(stateListener)
				.start(plan)
				.next(partitions)
				.next(manifest)
				.build();
	}
}
