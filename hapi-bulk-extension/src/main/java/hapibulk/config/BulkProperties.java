package hapibulk.config;

import hapibulk.admin.AdminPageSettings;
import hapibulk.audit.AuditSettings;
import hapibulk.auth.AuthSettings;
import hapibulk.imports.ImportSettings;
import hapibulk.job.ClusterSettings;
import hapibulk.job.RecoverySettings;
import hapibulk.storage.StorageSettings;
import hapibulk.support.BulkErrors;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every setting of the extension, under {@code hapi.bulk.*} (kebab-case in property files). The
 * defaults here are the documented ones (docs/configuration.md).
 * <p>
 * {@link BulkConfiguration} binds it with Boot's {@code Binder}, in Boot and plain Spring hosts alike.
 * {@code @ConfigurationProperties} is here for Boot's configuration processor, which writes the IDE
 * metadata ({@code META-INF/spring-configuration-metadata.json}) from the {@code @param} tags below and
 * in the settings records; in a Boot host its post-processor finds no JavaBean properties on the
 * record and leaves the bound value alone.
 *
 * @param enabled        turns the extension on in a Spring Boot host (auto-configuration)
 * @param fileDirectory  where export files are written
 * @param retention      how long a completed job's files stay available (the manifest's Expires)
 * @param cleanupInterval how often expired jobs' files are looked for and deleted
 * @param retryAfter     the Retry-After a status poll of a running job answers
 * @param concurrentJobs how many bulk jobs run at once; more wait in a queue
 * @param workerThreads  threads that run partitions of all jobs; 0 means one per CPU core
 * @param imports        the {@code $import} settings, under {@code hapi.bulk.import.*} ({@link ImportSettings})
 * @param auth           SMART Backend Services authorization ({@code hapi.bulk.auth.*}); on by default
 * @param audit          the audit trail ({@code hapi.bulk.audit.*})
 * @param serverBaseUrl  the public FHIR base URL (https://fhir.example.org/fhir): the token endpoint's aud
 *                       and every URL handed out start with it, whatever the request's Host says; unset, they
 *                       follow the request (see ServerBaseUrl)
 * @param recovery       retries on database errors and the job watchdog ({@code hapi.bulk.recovery.*})
 * @param storage        where bulk files live (local or S3, encrypted or not) and the room they may take
 *                       ({@code hapi.bulk.storage.*})
 * @param cluster        node leases, for several nodes on one database (hapi.bulk.cluster.*)
 * @param adminPage      the operators' job page ({@code hapi.bulk.admin-page.*}, off by default)
 */
@ConfigurationProperties(BulkProperties.PREFIX)
public record BulkProperties(
		@DefaultValue("false") boolean enabled,
		@DefaultValue("./hapi-bulk-files") Path fileDirectory,
		@DefaultValue("24h") Duration retention,
		@DefaultValue("10m") Duration cleanupInterval,
		@DefaultValue("2s") Duration retryAfter,
		@DefaultValue("4") int concurrentJobs,
		@DefaultValue("0") int workerThreads,
		@DefaultValue Export export,
		@Name("import") @DefaultValue @NestedConfigurationProperty ImportSettings imports,
		@DefaultValue @NestedConfigurationProperty AuthSettings auth,
		@DefaultValue @NestedConfigurationProperty AuditSettings audit,
		@DefaultValue @NestedConfigurationProperty RecoverySettings recovery,
		@DefaultValue @NestedConfigurationProperty StorageSettings storage,
		String serverBaseUrl,
		@DefaultValue @NestedConfigurationProperty ClusterSettings cluster,
		@DefaultValue @NestedConfigurationProperty AdminPageSettings adminPage) {

	public static final String PREFIX = "hapi.bulk";

	/**
	 * @param pageSize            resources read and written per chunk (one transaction)
	 * @param pageBytes           a chunk also ends once this much stored JSON was read
	 * @param maxResourcesPerFile a type's output is split into several files beyond this count
	 * @param maxFileBytes        a type's output is also split into several files beyond this size
	 * @param maxRunningExports   exports queued or running at once; a kick-off beyond gets 429
	 * @param includeReferencedResources whether Patient and Group exports also hold the resources outside
	 *                            the Patient compartment (Practitioner, Organization, ...) that the
	 *                            exported patients and their compartment resources reference
	 * @param maxTypeFilterLength the longest _typeFilter value a kick-off may send (characters);
	 *                            longer ones get 400 before a job is made (HAPI's search would fail later)
	 * @param createTypeIndex     whether to create the index on HFJ_RESOURCE (RES_TYPE, RES_ID) at
	 *                            start-up (see TypeKeyIndex)
	 * @param writeSettleTime     an export reads nothing before this long after its transactionTime: HAPI
	 *                            stamps lastUpdated this much at most before its transaction's first statement
	 * @param writeWaitLimit      how long an export waits at most for database transactions open at its start
	 *                            (writes stamped before its transactionTime) to end before it reads anyway
	 * @param partitionSize       a type with more resources to export is cut into ranges of keys (RES_ID) of about
	 *                            this many resources, one partition each, so that several workers share it
	 */
	public record Export(
			@DefaultValue("5000") int pageSize,
			@DefaultValue("16MB") DataSize pageBytes,
			@DefaultValue("100000") int maxResourcesPerFile,
			@DefaultValue("1GB") DataSize maxFileBytes,
			@DefaultValue("4") int maxRunningExports,
			@DefaultValue("true") boolean includeReferencedResources,
			@DefaultValue("false") boolean createTypeIndex,
			@DefaultValue("1000") int maxTypeFilterLength,
			@DefaultValue("500ms") Duration writeSettleTime,
			@DefaultValue("10m") Duration writeWaitLimit,
			@DefaultValue("1000000") long partitionSize) {

		public Export {
			if (partitionSize < 1) {
				throw new IllegalArgumentException(BulkErrors.code(704) + "hapi.bulk.export.partition-size must be at least 1");
			}
		}
	}

	public int workerThreads() {
		return workerThreads > 0 ? workerThreads : Runtime.getRuntime().availableProcessors();
	}

	/** Slices of an import chunk stored at once ({@code hapi.bulk.import.parallel-writes}, 0: one per worker). */
	public int importParallelWrites() {
		return imports.parallelWrites() > 0 ? imports.parallelWrites() : workerThreads();
	}

	/** Whether files need a bearer token: whenever authorization is on (any mode but none). */
	public boolean requiresAccessToken() {
		return auth.enabled();
	}
}
