package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** hapi-bulk does not honour HAPI's partitions yet, so it must not run on a partitioned server. */
class PartitioningCheckTest {

	@TempDir
	Path files;

	@Test
	void partitionedHost_refusesToStart_namingTheSettingAndWhy() {
		// given: a HAPI JPA host with partitioning on
		new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class, PartitioningOn.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files,
						"hapi.bulk.server-base-url=http://localhost/fhir")
				// when
				.run(context -> {
					// then
					assertThat(context).hasFailed();
					Throwable cause = context.getStartupFailure();
					while (cause.getCause() != null) {
						cause = cause.getCause();
					}
					assertThat(cause).isInstanceOf(IllegalStateException.class)
							.hasMessageContaining("BULK-0503")
							.hasMessageContaining("PartitionSettings.isPartitioningEnabled()")
							.hasMessageContaining("every partition's data")
							.hasMessageContaining("hapi.bulk.enabled=false");
				});
	}

	@Configuration(proxyBeanMethods = false)
	static class PartitioningOn {
		@Bean
		static BeanPostProcessor partitioningOn() {
			return new BeanPostProcessor() {
				@Override
				public Object postProcessBeforeInitialization(Object bean, String beanName) {
					if (bean instanceof PartitionSettings settings) {
						settings.setPartitioningEnabled(true);
					}
					return bean;
				}
			};
		}
	}
}
