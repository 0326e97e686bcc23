package hapibulk.status;

import hapibulk.tenant.Tenants;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkJobService;
import hapibulk.job.JobSettings;
import hapibulk.storage.BulkFileStore;
import hapibulk.support.ServerBaseUrl;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * The jobs' HTTP face: the status and file providers. Imported by {@code config.BulkConfiguration}; a host
 * replaces either with a bean of its own type.
 */
@Configuration(proxyBeanMethods = false)
public class StatusConfiguration {

	@Bean
	@ConditionalOnMissingBean
	public BulkStatusProvider hapiBulkStatusProvider(BulkJobService jobService, JobSettings jobSettings,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Tenants tenants) {
		return new BulkStatusProvider(jobService, jobSettings.retryAfter(), jobSettings.requiresAccessToken(),
				Clock.systemUTC(), authorization, audit, baseUrl, tenants);
	}

	@Bean
	@ConditionalOnMissingBean
	public BulkFileProvider hapiBulkFileProvider(BulkJobService jobService, BulkFileStore fileStore,
			BulkAuthorization authorization, BulkAudit audit, Tenants tenants) {
		return new BulkFileProvider(jobService, fileStore, authorization, audit, tenants);
	}
}
