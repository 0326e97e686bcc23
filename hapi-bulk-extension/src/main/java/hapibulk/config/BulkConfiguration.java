package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.dao.IFulltextSearchSvc;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IRequestPartitionHelperSvc;
import hapibulk.tenant.Tenants;
import hapibulk.admin.AdminConfiguration;
import hapibulk.admin.BulkJobsProvider;
import hapibulk.audit.AuditSettings;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.AuditTrailGuard;
import hapibulk.auth.BulkAuthorization;
import hapibulk.cluster.ClusterConfiguration;
import hapibulk.cluster.ClusterSettings;
import hapibulk.deid.DeidProfiles;
import hapibulk.export.ExportConfiguration;
import hapibulk.imports.ImportConfiguration;
import hapibulk.status.StatusConfiguration;
import hapibulk.support.fhir.FhirVersionSupport;
import hapibulk.support.ServerBaseUrl;
import hapibulk.export.BulkExportProvider;
import hapibulk.export.ExportCapabilityStatementInterceptor;
import hapibulk.export.ExportSettings;
import hapibulk.export.PatientCompartment;
import hapibulk.export.job.ExportJobConfig;
import hapibulk.imports.BulkImportProvider;
import hapibulk.imports.ImportSettings;
import hapibulk.submit.BulkSubmitProvider;
import hapibulk.submit.SubmitConfiguration;
import hapibulk.submit.SubmitSettings;
import hapibulk.imports.job.ImportJobConfig;
import hapibulk.job.BulkBatchEngine;
import hapibulk.status.BulkFileProvider;
import hapibulk.job.BulkJobFrame;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobStateListener;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkSchemaInitializer;
import hapibulk.status.BulkStatusProvider;
import hapibulk.job.NodeLease;
import hapibulk.job.RemotePartitions;
import hapibulk.support.BulkErrors;
import hapibulk.job.ChunkRetryOnTransientErrors;
import hapibulk.job.ExpiredJobSweeper;
import hapibulk.job.recovery.JobWatchdog;
import hapibulk.job.recovery.InterruptedJobRestarter;
import hapibulk.job.JobMeters;
import hapibulk.job.JobSettings;
import hapibulk.metrics.BulkMetrics;
import hapibulk.metrics.RequestMeters;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.BulkFileStores;
import org.springframework.batch.core.Job;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the extension adds to a HAPI FHIR JPA server. A plain Spring host {@code @Import}s
 * this class (and sets {@code hapi.bulk.*} properties as it likes); a Spring Boot host gets it
 * from {@link BulkAutoConfiguration} with {@code hapi.bulk.enabled=true}.
 * <p>
 * It needs from the host: a {@link DataSource}, HAPI's JPA {@link PlatformTransactionManager}
 * (primary, or named {@code transactionManager}), and HAPI's {@code FhirContext} and DAOs. Bean
 * names carry a {@code hapiBulk} prefix, because HAPI's starter forbids bean overriding.
 * <p>
 * It builds what the wings share (settings records, the job engine and table, storage, recovery) and registers
 * the providers on the host's server; each wing wires its own job, service and provider
 * ({@link ExportConfiguration}, {@link ImportConfiguration}, {@link StatusConfiguration},
 * {@link AdminConfiguration}).
 */
@Configuration(proxyBeanMethods = false)
@Import({BulkFhirVersionConfiguration.class, ExportConfiguration.class, ImportConfiguration.class, StatusConfiguration.class, AdminConfiguration.class,
		BulkAuthConfiguration.class, BulkMetricsConfiguration.class, ClusterConfiguration.class, SubmitConfiguration.class})
public class BulkConfiguration {

	@Bean
	public BulkProperties hapiBulkProperties(Environment environment, FhirVersionSupport fhirVersion) {
		// The first bean of ours after the FHIR version's (which refuses DSTU2 and DSTU3).
		HapiVersionCheck.logAtStartup();
		return Binder.get(environment).bindOrCreate(BulkProperties.PREFIX, BulkProperties.class);
	}

	/**
	 * HAPI's partitions as bulk tenants (docs/tenants.md): on a partitioned host every kick-off asks HAPI's partition
	 * helper for its partition; on an unpartitioned one there are no tenants.
	 */
	@Bean
	@ConditionalOnMissingBean
	public Tenants hapiBulkTenants(BulkProperties properties, ObjectProvider<PartitionSettings> partitionSettings,
			ObjectProvider<IRequestPartitionHelperSvc> partitionHelper, FhirContext fhirContext) {
		PartitionSettings settings = partitionSettings.getIfAvailable();
		if (settings == null || !settings.isPartitioningEnabled()) {
			return Tenants.none();
		}
		IRequestPartitionHelperSvc helper = partitionHelper.getIfAvailable();
		PartitioningCheck.refuseIfPartitionsUnknowable(settings, helper);
		return new Tenants(settings, helper, fhirContext);
	}

	/** The export's own settings ({@code hapi.bulk.export.*}), which the export job is built from. */
	@Bean
	public ExportSettings hapiBulkExportSettings(BulkProperties properties) {
		return properties.export();
	}

	/** The import's own settings ({@code hapi.bulk.import.*}), which the import job is built from. */
	@Bean
	public ImportSettings hapiBulkImportSettings(BulkProperties properties) {
		return properties.imports();
	}

	/** The {@code $bulk-submit} settings ({@code hapi.bulk.submit.*}): the registered submitters. */
	@Bean
	public SubmitSettings hapiBulkSubmitSettings(BulkProperties properties) {
		return properties.submit();
	}

	/** The audit trail's settings ({@code hapi.bulk.audit.*}), which the job list's reads are recorded by. */
	@Bean
	public AuditSettings hapiBulkAuditSettings(BulkProperties properties) {
		return properties.audit();
	}

	/**
	 * The de-identification profiles ({@code hapi.bulk.deid.*}), read and checked here: a profile that cannot run
	 * stops the start-up, naming its rule.
	 */
	@Bean
	public DeidProfiles hapiBulkDeidProfiles(FhirContext fhirContext, BulkProperties properties) {
		return new DeidProfiles(fhirContext, properties.deid());
	}

	/** What every job reads of the shared settings. */
	@Bean
	public JobSettings hapiBulkJobSettings(BulkProperties properties) {
		return properties.jobSettings();
	}

	/** Static: a post-processor must not make this configuration (or anything else) be created early. */
	@Bean
	public static RestfulServerStartupGate hapiBulkRestfulServerStartupGate() {
		return new RestfulServerStartupGate();
	}

	@Bean
	public BulkSchemaInitializer hapiBulkSchemaInitializer(DataSource dataSource) {
		return new BulkSchemaInitializer(dataSource);
	}

	@Bean
	public BulkBatchEngine hapiBulkBatchEngine(DataSource dataSource, PlatformTransactionManager transactionManager,
			BulkProperties properties, BulkSchemaInitializer schema, BulkMetrics metrics) throws Exception {
		return new BulkBatchEngine(dataSource, transactionManager, properties.concurrentJobs(),
				properties.workerThreads(), schema, properties.recovery(), metrics);
	}

	/** This node's lease: registered before any job row of this node can exist. */
	@Bean
	public NodeLease hapiBulkNodeLease(DataSource dataSource, BulkProperties properties, BulkSchemaInitializer schema) {
		ClusterSettings cluster = properties.cluster();
		return new NodeLease(new JdbcTemplate(dataSource), cluster.nodeIdOrGenerated(), cluster.leaseDuration());
	}

	@Bean
	public BulkJobTable hapiBulkJobTable(DataSource dataSource, BulkSchemaInitializer schema, NodeLease lease) {
		return new BulkJobTable(new JdbcTemplate(dataSource), lease.nodeId());
	}

	@Bean
	public BulkJobFiles hapiBulkJobFiles(DataSource dataSource, BulkSchemaInitializer schema) {
		return new BulkJobFiles(new JdbcTemplate(dataSource));
	}

	/** Local files or S3 ({@code hapi.bulk.storage.type}); a host's own {@link BulkFileStore} bean replaces it. */
	@Bean
	@ConditionalOnMissingBean(BulkFileStore.class)
	public BulkFileStore hapiBulkFileStore(BulkProperties properties) {
		return BulkFileStores.create(properties.storage(), properties.fileDirectory());
	}

	@Bean
	public BulkJobService hapiBulkJobService(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore,
			BulkJobFiles jobFiles, BulkProperties properties) {
		return new BulkJobService(table, engine, fileStore, jobFiles, properties.retention(), Clock.systemUTC(),
				properties.recovery(), properties.storage(), properties.retryAfter());
	}

	@Bean
	public ChunkRetryOnTransientErrors hapiBulkChunkRetry(BulkBatchEngine engine, BulkProperties properties) {
		return new ChunkRetryOnTransientErrors(engine, properties.recovery());
	}

	/**
	 * The plan → partitions → manifest shape both jobs are built in; in cluster mode its partitions go to the
	 * nodes' queue ({@link ClusterConfiguration}).
	 */
	@Bean
	public BulkJobFrame hapiBulkJobFrame(BulkBatchEngine engine, BulkJobStateListener stateListener,
			ChunkRetryOnTransientErrors chunkRetry, BulkProperties properties,
			ObjectProvider<RemotePartitions> remotePartitions) {
		RemotePartitions remote = remotePartitions.getIfAvailable();
		if (properties.cluster().enabled() && remote == null) {
			throw new IllegalStateException(BulkErrors.code(702) + "hapi.bulk.cluster.enabled=true needs "
					+ "org.springframework.batch:spring-batch-integration and org.springframework.amqp:spring-rabbit "
					+ "on the classpath (see docs/cluster.md)");
		}
		return new BulkJobFrame(engine, stateListener, chunkRetry, properties.workerThreads(), remote);
	}

	@Bean
	public JobWatchdog hapiBulkJobWatchdog(BulkBatchEngine engine, BulkJobTable table, BulkJobService jobService,
			@Qualifier(ExportJobConfig.JOB_BEAN) Job exportJob, @Qualifier(ImportJobConfig.JOB_BEAN) Job importJob,
			BulkProperties properties, NodeLease lease) {
		return new JobWatchdog(engine, table, jobService, List.of(exportJob, importJob), properties.recovery(),
				Clock.systemUTC(), lease);
	}

	@Bean
	public BulkJobStateListener hapiBulkJobStateListener(BulkJobTable table, BulkJobService jobService,
			BulkAudit audit, BulkMetrics metrics) {
		return new BulkJobStateListener(table, jobService, audit, new JobMeters(metrics, Clock.systemUTC()));
	}

	@Bean
	public InterruptedJobRestarter hapiBulkInterruptedJobRestarter(BulkBatchEngine engine, BulkJobTable table,
			@Qualifier(ExportJobConfig.JOB_BEAN) Job exportJob, @Qualifier(ImportJobConfig.JOB_BEAN) Job importJob,
			NodeLease lease) {
		return new InterruptedJobRestarter(engine, table, List.of(exportJob, importJob), lease);
	}

	/**
	 * Registers the wings' providers (built by their own configurations) and the interceptors on the host's
	 * RestfulServer, in this order.
	 */
	@Bean
	public BulkServerRegistrar hapiBulkServerRegistrar(BulkExportProvider exportProvider,
			BulkImportProvider importProvider, BulkStatusProvider statusProvider, BulkFileProvider fileProvider,
			BulkJobsProvider jobsProvider, BulkSubmitProvider submitProvider, FhirContext fhirContext, PatientCompartment compartment,
			ExportSettings exportSettings, ObjectProvider<IFulltextSearchSvc> fullTextSearch,
			BulkAuthorization authorization, BulkAuthConfiguration.AuthInterceptors authInterceptors, BulkMetrics metrics,
			ListableBeanFactory beanFactory, RestfulServerStartupGate startupGate, ServerBaseUrl baseUrl) {
		List<Object> interceptors = new ArrayList<>(List.of(new BulkCapabilityStatementInterceptor(),
				new ExportCapabilityStatementInterceptor(compartment, exportSettings.includeReferencedResources(),
						() -> fullTextSearch.getIfAvailable() != null && !fullTextSearch.getIfAvailable().isDisabled()),
				new hapibulk.support.BulkExceptionAnswers(List.of("$export", BulkImportProvider.OPERATION,
						BulkStatusProvider.OPERATION, BulkFileProvider.OPERATION, BulkJobsProvider.OPERATION,
						BulkSubmitProvider.SUBMIT, BulkSubmitProvider.STATUS))));
		// The audit trail is append-only in every auth mode, and readable only with its scope when auth is on.
		interceptors.add(new AuditTrailGuard(fhirContext, authorization));
		interceptors.addAll(authInterceptors.interceptors());
		if (metrics.isOn()) {
			interceptors.add(new RequestMeters(metrics, java.util.Map.of("$export", "export",
					BulkImportProvider.OPERATION, "import"), BulkStatusProvider.OPERATION));
		}
		return new BulkServerRegistrar(List.of(exportProvider, importProvider, statusProvider, fileProvider,
				jobsProvider, submitProvider), interceptors, beanFactory, startupGate, baseUrl);
	}

	@Bean
	public ExpiredJobSweeper hapiBulkExpiredJobSweeper(BulkJobService jobService, BulkProperties properties) {
		return new ExpiredJobSweeper(jobService, properties.cleanupInterval());
	}
}
