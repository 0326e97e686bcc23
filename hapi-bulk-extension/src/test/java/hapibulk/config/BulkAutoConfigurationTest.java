package hapibulk.config;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.export.BulkExportProvider;
import hapibulk.job.BulkJobService;
import hapibulk.status.BulkFileProvider;
import hapibulk.status.BulkStatusProvider;
import hapibulk.storage.BulkFileStore;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The drop-in promise: a plain HAPI JPA server context plus the auto-configuration and one property. */
@ExtendWith(OutputCaptureExtension.class)
class BulkAutoConfigurationTest {

	@TempDir
	Path files;

	private ApplicationContextRunner runner() {
		// HAPI's search parameter registry and its listeners refer to each other.
		return new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.file-directory=" + files,
						"hapi.bulk.server-base-url=http://localhost/fhir");
	}

	/** One context for what a host with only the property gets (each HAPI JPA context costs seconds of CI). */
	@Test
	void enabled_registersTheBulkOperations_replacingHapisOwnExport_withOneWarning_andNoAdminPage(CapturedOutput output) {
		runner().withPropertyValues("hapi.bulk.enabled=true")
				.withUserConfiguration(HapiExportRegistered.class)
				.run(context -> {
					assertThat(context).hasNotFailed().hasSingleBean(BulkServerRegistrar.class)
							.doesNotHaveBean("hapiBulkAdminPage");
					assertThat(context.getBean(RestfulServer.class).getPlainProviders())
							.hasAtLeastOneElementOfType(BulkExportProvider.class)
							.hasAtLeastOneElementOfType(BulkStatusProvider.class)
							.hasAtLeastOneElementOfType(BulkFileProvider.class)
							.doesNotHaveAnyElementsOfTypes(BulkDataExportProvider.class);
				});
		assertThat(output.getAll().lines().filter(line -> line.contains("hapi-bulk replaced HAPI's own bulk data providers")))
				.hasSize(1)
				.allMatch(line -> line.contains("WARN") && line.contains("BulkDataExportProvider"));
	}

	@Test
	void withoutTheProperty_addsNothing() {
		runner().run(context -> {
			assertThat(context).hasNotFailed()
					.doesNotHaveBean(BulkServerRegistrar.class)
					.doesNotHaveBean(BulkProperties.class);
			assertThat(context.getBean(RestfulServer.class).getPlainProviders()).isEmpty();
		});
	}

	/** Issue 25, point 4: mode smart (the default) takes no URL from the Host header, so it needs the public base URL. */
	@Test
	void smartMode_withoutServerBaseUrl_refusesToStart_namingTheSetting() {
		// given: the drop-in with only the required property, in the default mode smart
		new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files)
				// when
				.run(context -> {
					// then
					assertThat(context).hasFailed();
					Throwable cause = context.getStartupFailure();
					while (cause.getCause() != null) {
						cause = cause.getCause();
					}
					assertThat(cause).isInstanceOf(IllegalStateException.class)
							.hasMessageContaining("BULK-0360")
							.hasMessageContaining("hapi.bulk.server-base-url")
							.hasMessageContaining("Host");
				});
	}

	/**
	 * Issue 26, point 3: each wing's providers are @ConditionalOnMissingBean, so a host's own bean replaces ours; and
	 * the job page is served when asked for (one context for both).
	 */
	@Test
	void aHostsOwnProvider_replacesTheWingsOne_andTheAdminPageIsServedWhenEnabled() {
		runner().withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.admin-page.enabled=true")
				.withUserConfiguration(HostFileProvider.class)
				.run(context -> {
					assertThat(context).hasNotFailed();
					assertThat(context.getBeansOfType(BulkFileProvider.class)).containsOnlyKeys("hostFileProvider");
					assertThat(context.getBean(RestfulServer.class).getPlainProviders())
							.filteredOn(provider -> provider instanceof BulkFileProvider)
							.containsExactly(context.getBean("hostFileProvider"));
					assertThat(context).hasBean("hapiBulkAdminPage");
					assertThat(context.getBean("hapiBulkAdminPage", ServletRegistrationBean.class).getUrlMappings())
							.containsExactly("/bulk-admin/*");
				});
	}

	/** A host with a $bulk-file provider of its own. */
	@Configuration(proxyBeanMethods = false)
	static class HostFileProvider {
		@Bean
		BulkFileProvider hostFileProvider(BulkJobService jobService, BulkFileStore fileStore,
				BulkAuthorization authorization, BulkAudit audit) {
			return new BulkFileProvider(jobService, fileStore, authorization, audit);
		}
	}

	/** A host that turned on HAPI's own $export (hapi.fhir.bulk_export_enabled=true in the JPA starter). */
	@Configuration(proxyBeanMethods = false)
	static class HapiExportRegistered {
		@Bean
		Object hapiExportOnServer(RestfulServer server, BulkDataExportProvider hapiProvider) {
			server.registerProvider(hapiProvider);
			return new Object();
		}
	}
}
