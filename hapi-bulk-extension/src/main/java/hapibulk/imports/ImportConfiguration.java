package hapibulk.imports;

import hapibulk.tenant.Tenants;
import ca.uhn.fhir.context.FhirContext;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.imports.job.ImportJobConfig;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobSettings;
import hapibulk.support.ServerBaseUrl;
import org.springframework.batch.core.Job;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import java.time.Clock;

/**
 * The import wing: its job ({@link ImportJobConfig}), the service that starts it and the {@code $import}
 * provider, built from {@link ImportSettings}. Imported by {@code config.BulkConfiguration}; a host replaces
 * the service or the provider with a bean of its own type.
 */
@Configuration(proxyBeanMethods = false)
@Import(ImportJobConfig.class)
public class ImportConfiguration {

	@Bean
	@ConditionalOnMissingBean
	public ImportJobService hapiBulkImportJobService(BulkJobService jobService, BulkJobTable table,
			ImportSources sources, @Qualifier(ImportJobConfig.JOB_BEAN) Job importJob, ImportSettings settings,
			JobSettings jobSettings) {
		return new ImportJobService(jobService, table, sources, importJob, settings.maxRunningImports(),
				jobSettings.retryAfter(), Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean
	public BulkImportProvider hapiBulkImportProvider(FhirContext fhirContext, ImportJobService importJobService,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Tenants tenants) {
		return new BulkImportProvider(new ImportRequestParser(fhirContext), importJobService, authorization, audit,
				baseUrl, tenants);
	}
}
