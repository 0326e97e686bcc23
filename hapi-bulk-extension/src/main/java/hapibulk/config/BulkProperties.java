package hapibulk.config;

import hapibulk.admin.AdminPageSettings;
import hapibulk.audit.AuditSettings;
import hapibulk.auth.AuthSettings;
import hapibulk.imports.ImportSettings;
import hapibulk.job.RecoverySettings;
import hapibulk.storage.StorageSettings;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Every setting of the extension, under {@code hapi.bulk.*} (kebab-case in property files). The
 * defaults here are the documented ones (README, "Configuration").
 *
 * @param enabled        turns the extension on in a Spring Boot host (auto-configuration)
 * @param fileDirectory  where export files are written
 * @param retention      how long a completed job's files stay available ({@code Expires})
 * @param cleanupInterval how often expired jobs' files are looked for and deleted
 * @param retryAfter     the {@code Retry-After} a status poll of a running job answers
 * @param concurrentJobs how many bulk jobs run at once; more wait in a queue
 * @param workerThreads  threads that run partitions of all jobs; 0 means one per CPU core
 * @param imports        the {@code $import} settings, under {@code hapi.bulk.import.*} ({@link ImportSettings})
 * @param auth           SMART Backend Services authorization ({@code hapi.bulk.auth.*}); on by default
 * @param audit          the audit trail ({@code hapi.bulk.audit.*})
 * @param serverBaseUrl  the public FHIR base URL ({@code https://fhir.example.org/fhir}): the token endpoint's
 *                       {@code aud} and every URL handed out start with it, whatever the request's Host says;
 *                       unset, they follow the request (see ServerBaseUrl)
 * @param recovery       retries on database errors and the job watchdog ({@code hapi.bulk.recovery.*})
 * @param storage        room for bulk files ({@code hapi.bulk.storage.*})
 * @param adminPage      the operators' job page ({@code hapi.bulk.admin-page.*}, off by default)
 */
public record BulkProperties(
		@DefaultValue("false") boolean enabled,
		@DefaultValue("./hapi-bulk-files") Path fileDirectory,
		@DefaultValue("24h") Duration retention,
		@DefaultValue("10m") Duration cleanupInterval,
		@DefaultValue("2s") Duration retryAfter,
		@DefaultValue("4") int concurrentJobs,
		@DefaultValue("0") int workerThreads,
		@DefaultValue Export export,
		@Name("import") @DefaultValue ImportSettings imports,
		@DefaultValue AuthSettings auth,
		@DefaultValue AuditSettings audit,
		@DefaultValue RecoverySettings recovery,
		@DefaultValue StorageSettings storage,
		String serverBaseUrl,
		@DefaultValue AdminPageSettings adminPage) {

	public static final String PREFIX = "hapi.bulk";

	/**
	 * @param pageSize            resources read and written per chunk (one transaction)
	 * @param pageBytes           a chunk also ends once this much stored JSON was read
	 * @param maxResourcesPerFile a type's output is split into several files beyond this count
	 * @param maxFileBytes        ... or beyond this size
	 * @param maxRunningExports   exports queued or running at once; a kick-off beyond gets 429
	 * @param includeReferencedResources whether Patient and Group exports also hold the resources outside
	 *                            the Patient compartment (Practitioner, Organization, ...) that the
	 *                            exported patients and their compartment resources reference
	 * @param maxTypeFilterLength the longest {@code _typeFilter} value a kick-off may send (characters);
	 *                            longer ones get 400 before a job is made (HAPI's search would fail later)
	 * @param createTypeIndex     whether to create the index on HFJ_RESOURCE (RES_TYPE, RES_ID) at
	 *                            start-up (see TypeKeyIndex)
	 * @param writeSettleTime     an export reads nothing before this long after its transactionTime: HAPI
	 *                            stamps lastUpdated this much at most before its transaction's first statement
	 * @param writeWaitLimit      how long an export waits at most for database transactions open at its start
	 *                            (writes stamped before its transactionTime) to end before it reads anyway
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
			@DefaultValue("10m") Duration writeWaitLimit) {}

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
