package hapibulk.export;

import hapibulk.tenant.Tenants;
import ca.uhn.fhir.context.FhirContext;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.SearchReach;
import hapibulk.deid.DeidProfiles;
import hapibulk.export.job.ExportJobConfig;
import hapibulk.export.job.ExportScopeResolver;
import hapibulk.job.BulkJobService;
import hapibulk.support.ServerBaseUrl;
import org.springframework.batch.core.Job;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import java.time.Clock;

/**
 * The export wing: its job ({@link ExportJobConfig}), the service that starts it and the {@code $export}
 * provider, built from {@link ExportSettings}. Imported by {@code config.BulkConfiguration}; a host replaces
 * the service or the provider with a bean of its own type.
 */
@Configuration(proxyBeanMethods = false)
@Import(ExportJobConfig.class)
public class ExportConfiguration {

	@Bean
	@ConditionalOnMissingBean
	public ExportJobService hapiBulkExportJobService(BulkJobService jobService, ExportScopeResolver scopeResolver,
			@Qualifier(ExportJobConfig.JOB_BEAN) Job exportJob, ExportSettings settings) {
		return new ExportJobService(jobService, scopeResolver, exportJob, settings.maxRunningExports(),
				Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean
	public BulkExportProvider hapiBulkExportProvider(FhirContext fhirContext, PatientCompartment compartment,
			TypeFilters typeFilters, ExportSettings settings, ExportJobService exportJobService,
			BulkAuthorization authorization, SearchReach searchReach, BulkAudit audit, ServerBaseUrl baseUrl,
			DeidProfiles deidProfiles, Tenants tenants) {
		return new BulkExportProvider(new ExportRequestParser(fhirContext, compartment, typeFilters,
				settings.includeReferencedResources(), settings.maxTypeFilterLength(), baseUrl, Clock.systemUTC()),
				exportJobService, authorization, new ExportAccess(compartment, fhirContext.getResourceTypes(),
						settings.includeReferencedResources(), searchReach), audit, baseUrl,
				new ExportDeidentification(deidProfiles), tenants);
	}
}
