package hapibulk.config;

import hapibulk.admin.AdminPageSettings;
import hapibulk.audit.AuditSettings;
import hapibulk.auth.AuthSettings;
import hapibulk.cluster.ClusterSettings;
import hapibulk.deid.DeidSettings;
import hapibulk.export.ExportSettings;
import hapibulk.imports.ImportSettings;
import hapibulk.job.JobSettings;
import hapibulk.job.RecoverySettings;
import hapibulk.storage.StorageSettings;
import hapibulk.submit.SubmitSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;

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
 * @param export         the {@code $export} settings, under {@code hapi.bulk.export.*} ({@link ExportSettings})
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
 * @param deid           de-identification profiles and their keys ({@code hapi.bulk.deid.*}, docs/deidentification.md)
 * @param submit         $bulk-submit: the registered submitters and the manifest limits
 *                       (hapi.bulk.submit.*, docs/bulk-submit.md)
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
		@DefaultValue @NestedConfigurationProperty ExportSettings export,
		@Name("import") @DefaultValue @NestedConfigurationProperty ImportSettings imports,
		@DefaultValue @NestedConfigurationProperty AuthSettings auth,
		@DefaultValue @NestedConfigurationProperty AuditSettings audit,
		@DefaultValue @NestedConfigurationProperty RecoverySettings recovery,
		@DefaultValue @NestedConfigurationProperty StorageSettings storage,
		String serverBaseUrl,
		@DefaultValue @NestedConfigurationProperty ClusterSettings cluster,
		@DefaultValue @NestedConfigurationProperty AdminPageSettings adminPage,
		@DefaultValue @NestedConfigurationProperty DeidSettings deid,
		@DefaultValue @NestedConfigurationProperty SubmitSettings submit) {

	public static final String PREFIX = "hapi.bulk";

	public int workerThreads() {
		return workerThreads > 0 ? workerThreads : Runtime.getRuntime().availableProcessors();
	}

	/** Whether files need a bearer token: whenever authorization is on (any mode but none). */
	public boolean requiresAccessToken() {
		return auth.enabled();
	}

	/** What every job reads of these settings. */
	public JobSettings jobSettings() {
		return new JobSettings(retention, requiresAccessToken(), workerThreads(), retryAfter);
	}
}
