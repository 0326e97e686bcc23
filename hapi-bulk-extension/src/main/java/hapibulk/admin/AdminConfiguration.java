package hapibulk.admin;

import hapibulk.tenant.Tenants;
import hapibulk.audit.AuditSettings;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobSettings;
import hapibulk.storage.BulkFileStore;
import hapibulk.support.ServerBaseUrl;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * The operators' wing: the {@code $bulk-jobs} provider (the job page's servlet is registered by
 * {@code config.BulkAdminPageConfiguration} in Boot hosts). Imported by {@code config.BulkConfiguration}; a
 * host replaces the provider with a bean of its own type.
 */
@Configuration(proxyBeanMethods = false)
public class AdminConfiguration {

	@Bean
	@ConditionalOnMissingBean
	public BulkJobsProvider hapiBulkJobsProvider(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, JobSettings jobSettings,
			AuditSettings auditSettings, Tenants tenants) {
		return new BulkJobsProvider(table, engine, fileStore, authorization, audit, baseUrl, jobSettings.retryAfter(),
				auditSettings.jobListInterval(), Clock.systemUTC(), tenants);
	}
}
