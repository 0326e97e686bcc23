package hapibulk.submit;

import ca.uhn.fhir.context.FhirContext;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.imports.ImportJobService;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobSettings;
import hapibulk.support.ServerBaseUrl;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import hapibulk.tenant.Tenants;

import javax.sql.DataSource;
import java.time.Clock;

/**
 * The {@code $bulk-submit} wing: a front door to the import job. {@link Submitters} is also the import's
 * {@code SourceAccess}, so the submitters' files are read under their registrations. Imported by
 * {@code config.BulkConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
public class SubmitConfiguration {

	@Bean
	public ProviderTokens hapiBulkProviderTokens(SubmitSettings settings) {
		return new ProviderTokens(settings, Clock.systemUTC());
	}

	@Bean
	public Submitters hapiBulkSubmitters(SubmitSettings settings, ProviderTokens hapiBulkProviderTokens) {
		return new Submitters(settings, hapiBulkProviderTokens);
	}

	@Bean
	public SubmissionTable hapiBulkSubmissionTable(DataSource dataSource) {
		return new SubmissionTable(new JdbcTemplate(dataSource), Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean
	public BulkSubmitProvider hapiBulkSubmitProvider(FhirContext fhirContext, SubmitSettings settings,
			Submitters hapiBulkSubmitters, ProviderTokens hapiBulkProviderTokens, SubmissionTable hapiBulkSubmissionTable,
			ImportJobService importJobService, BulkJobTable jobTable, JobSettings jobSettings,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Tenants tenants) {
		BulkSubmitService service = new BulkSubmitService(hapiBulkSubmitters,
				new ManifestReader(settings, hapiBulkProviderTokens, fhirContext), hapiBulkSubmissionTable, importJobService,
				jobTable);
		SubmissionStatus status = new SubmissionStatus(hapiBulkSubmissionTable, jobTable,
				jobSettings.requiresAccessToken(), Clock.systemUTC());
		return new BulkSubmitProvider(new SubmitRequestParser(fhirContext), service, status, authorization, audit,
				baseUrl, jobSettings.retryAfter(), tenants);
	}
}
