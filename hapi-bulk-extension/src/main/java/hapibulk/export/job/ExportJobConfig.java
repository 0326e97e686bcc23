package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.MatchUrlService;
import hapibulk.deid.DeidProfiles;
import hapibulk.export.ExportSettings;
import hapibulk.export.PatientCompartment;
import hapibulk.export.TypeFilters;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobDefinition;
import hapibulk.job.BulkJobFrame;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobSettings;
import hapibulk.storage.BulkFileStore;
import hapibulk.job.BulkJobKeys;
import hapibulk.tenant.Tenants;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobExecutionListener;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Clock;

/**
 * The export job: plan (which types, how many) → one partition per type (a large type cut into key ranges,
 * {@code hapi.bulk.export.partition-size}; one partition for deletions) on the worker pool or the cluster →
 * manifest.
 */
@Configuration(proxyBeanMethods = false)
public class ExportJobConfig {

	/** The Spring Batch job's name (in BATCH_JOB_INSTANCE). */
	public static final String JOB_NAME = "bulkExportJob";
	/** The Job bean's name: prefixed like every bean of ours, as hosts forbid bean overriding. */
	public static final String JOB_BEAN = "hapiBulkExportJob";
	static final String WORKER_STEP = "bulkExportTypeStep";

	@Bean
	public StoredResourceReader hapiBulkStoredResourceReader(DataSource dataSource, DaoRegistry daoRegistry,
			FhirContext fhirContext) {
		return new StoredResourceReader(new JdbcTemplate(dataSource), daoRegistry, fhirContext);
	}

	@Bean
	@ConditionalOnProperty(prefix = ExportSettings.PREFIX, name = "create-type-index", havingValue = "true")
	public TypeKeyIndex hapiBulkTypeKeyIndex(DataSource dataSource, Tenants tenants) {
		return new TypeKeyIndex(new JdbcTemplate(dataSource), tenants.enabled());
	}

	@Bean
	public PatientCompartment hapiBulkPatientCompartment(FhirContext fhirContext) {
		return new PatientCompartment(fhirContext);
	}

	@Bean
	public ExportScopeResolver hapiBulkExportScopeResolver(StoredResourceReader hapiBulkStoredResourceReader) {
		return new ExportScopeResolver(hapiBulkStoredResourceReader);
	}

	@Bean
	public TypeFilters hapiBulkTypeFilters(FhirContext fhirContext, MatchUrlService matchUrlService) {
		return new TypeFilters(fhirContext, matchUrlService);
	}

	@Bean
	public TypeFilterMatches hapiBulkTypeFilterMatches(DataSource dataSource, DaoRegistry daoRegistry,
			TypeFilters typeFilters) {
		return new TypeFilterMatches(new JdbcTemplate(dataSource), daoRegistry, typeFilters);
	}

	@Bean(name = JOB_BEAN)
	public Job hapiBulkExportJob(BulkJobFrame frame, BulkBatchEngine engine, BulkJobTable table,
			StoredResourceReader hapiBulkStoredResourceReader, ExportScopeResolver scopeResolver,
			PatientCompartment compartment, BulkFileStore fileStore, ExportSettings export, JobSettings jobSettings, FhirContext fhirContext,
			TypeFilterMatches typeFilterMatches, BulkJobFiles jobFiles, DataSource dataSource, DeidProfiles deidProfiles)
			throws Exception {
		CompartmentScope compartmentScope = new CompartmentScope(new JdbcTemplate(dataSource), compartment);

		OpenTransactions openTransactions = new OpenTransactions(new JdbcTemplate(dataSource), export.writeWaitLimit(),
				Clock.systemUTC());
		return frame.build(BulkJobDefinition.named(JOB_NAME, "bulkExport")
				.plan(new ExportPlanTasklet(hapiBulkStoredResourceReader, scopeResolver, compartment, table,
						fhirContext, typeFilterMatches, compartmentScope, export.includeReferencedResources(),
						export.partitionSize()),
						new WriteSettleListener(table, openTransactions, export.writeSettleTime(), Clock.systemUTC()))
				.worker(WORKER_STEP, new ExportTypeTasklet(hapiBulkStoredResourceReader, fileStore, table, jobFiles,
						new ExportLimits(export.pageSize(), export.pageBytes().toBytes(),
								export.maxResourcesPerFile(), export.maxFileBytes().toBytes()), deidProfiles))
				.partitions(ExportPlanTasklet::partitions)
				.manifest(new ExportManifestTasklet(engine.jobRepository(), table, jobFiles, fileStore, typeFilterMatches,
						WORKER_STEP, jobSettings.requiresAccessToken(), jobSettings.retention(), Clock.systemUTC()))
				.listener(forgetScratchTables(typeFilterMatches, compartmentScope))
				.build());
	}

	/** Drops the rows the plan wrote for matching and scoping once the export no longer needs them. */
	private static JobExecutionListener forgetScratchTables(TypeFilterMatches typeFilterMatches,
			CompartmentScope compartmentScope) {
		return new JobExecutionListener() {
			@Override
			public void afterJob(JobExecution execution) {
				// A cancelled export no longer needs its _typeFilter matches (a completed one dropped them).
				String jobId = execution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
				if (execution.getStatus() == BatchStatus.STOPPED) {
					typeFilterMatches.forget(jobId);
				}
				// A failed export keeps its compartment scope for a restart.
				if (execution.getStatus() == BatchStatus.STOPPED || execution.getStatus() == BatchStatus.COMPLETED) {
					compartmentScope.forget(jobId);
				}
			}
		};
	}
}
