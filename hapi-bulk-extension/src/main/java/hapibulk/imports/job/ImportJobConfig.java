package hapibulk.imports.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import hapibulk.auth.InlineMatchUrls;
import hapibulk.auth.SearchReach;
import hapibulk.imports.ImportSettings;
import hapibulk.imports.ImportSources;
import hapibulk.imports.SourceAccess;
import org.springframework.beans.factory.ObjectProvider;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobDefinition;
import hapibulk.job.BulkJobFrame;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobSettings;
import hapibulk.storage.BulkFileStore;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.batch.core.Job;
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

	/** The sources, with the grants of a {@link SourceAccess} bean if the host has one ({@code $bulk-submit}'s). */
	@Bean
	public ImportSources hapiBulkImportSources(ImportSettings settings, ObjectProvider<SourceAccess> access) {
		return new ImportSources(settings, access.getIfAvailable(() -> SourceAccess.NONE));
	}

	@Bean
	CancelledInputCloser hapiBulkImportInputCloser(BulkJobTable table) {
		return new CancelledInputCloser(table, CANCEL_CHECK_INTERVAL);
	}

	@Bean(name = JOB_BEAN)
	public Job hapiBulkImportJob(BulkJobFrame frame, BulkBatchEngine engine, BulkJobTable table,
			ImportSources hapiBulkImportSources, BulkFileStore fileStore, ImportSettings settings, JobSettings jobSettings,
			FhirContext fhirContext, DaoRegistry daoRegistry, EntityManagerFactory entityManagerFactory,
			PartitionSettings partitionSettings, CancelledInputCloser hapiBulkImportInputCloser,
			SearchReach hapiBulkSearchReach) throws Exception {
		JobRepository repository = engine.jobRepository();
		PlatformTransactionManager transactionManager = engine.transactionManager();

		EntityManager entityManager = SharedEntityManagerCreator.createSharedEntityManager(entityManagerFactory);
		// Keys are looked up by type and id only, which is right only when HAPI keeps one partition.
		StoredIdPrefetch prefetch = partitionSettings.isPartitioningEnabled() ? null
				: new StoredIdPrefetch(fhirContext, entityManager);
		ImportResourceStore store = new ImportResourceStore(daoRegistry, entityManager, prefetch);
		TransactionTemplate transaction = new TransactionTemplate(transactionManager);
		SlicedChunkWriter chunkWriter = new SlicedChunkWriter(store, transaction, engine.writerExecutor(),
				settings.parallelWrites(jobSettings.workerThreads()), MIN_SLICE_SIZE);
		ImportInputTasklet inputTasklet = new ImportInputTasklet(hapiBulkImportSources, fhirContext, store, chunkWriter,
				fileStore, table, repository, transaction, settings.chunkSize(),
				Math.toIntExact(Math.min(Integer.MAX_VALUE - 16, settings.maxLineLength().toBytes())),
				settings.maxErrorLines(), hapiBulkImportInputCloser, new InlineMatchUrls(hapiBulkSearchReach));
		return frame.build(BulkJobDefinition.named(JOB_NAME, "bulkImport")
				.plan(new ImportPlanTasklet(table, hapiBulkImportSources))
				// The tasklet opens its own transactions on HAPI's manager (writes, then the cursor).
				.worker(WORKER_STEP, inputTasklet, new ResourcelessTransactionManager(), inputTasklet)
				.partitions(ImportPlanTasklet::partitions)
				// Referenced types first (see ImportTypeOrder).
				.waves(partition -> ImportCursor.from(partition).partition().wave())
				.manifest(new ImportManifestTasklet(repository, table, WORKER_STEP, jobSettings.requiresAccessToken(),
						jobSettings.retention(), Clock.systemUTC()))
				.build());
	}
}
