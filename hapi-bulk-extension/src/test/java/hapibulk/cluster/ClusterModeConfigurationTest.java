package hapibulk.cluster;

import hapibulk.config.BulkAutoConfiguration;
import hapibulk.job.BulkJobFrame;
import hapibulk.job.RemotePartitions;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the cluster mode is loaded, and when it refuses to start: none of it exists unless
 * {@code hapi.bulk.cluster.enabled=true}, and enabled it needs its optional libraries and a RabbitMQ
 * connection factory. No RabbitMQ is needed here: nothing of these contexts connects.
 */
class ClusterModeConfigurationTest {

	@TempDir
	Path files;

	private ApplicationContextRunner runner() {
		// HAPI's search parameter registry and its listeners refer to each other.
		return new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files,
						"hapi.bulk.server-base-url=http://localhost/fhir");
	}

	@Test
	void clusterNotEnabled_createsNoQueueNoListenerAndNoRemoteHandler() {
		// when: the extension is on, the cluster mode is left at its default
		runner().run(context -> {
			// then
			assertThat(context).hasNotFailed()
					.hasSingleBean(BulkJobFrame.class)
					.doesNotHaveBean(PartitionQueue.class)
					.doesNotHaveBean(RemotePartitions.class)
					.doesNotHaveBean(SimpleMessageListenerContainer.class);
		});
	}

	@Test
	void clusterEnabled_withoutTheClusterLibraries_refusesToStart() {
		// given: a host without spring-batch-integration and spring-rabbit
		runner().withClassLoader(new FilteredClassLoader("org.springframework.batch.integration",
						"org.springframework.amqp"))
				.withPropertyValues("hapi.bulk.cluster.enabled=true")
				// when
				.run(context -> {
					// then
					assertThat(context).hasFailed();
					assertThat(context.getStartupFailure()).rootCause().hasMessageStartingWith("BULK-0702: ")
							.hasMessageContaining("spring-batch-integration");
				});
	}

	@Test
	void clusterEnabled_withoutARabbitMqConnectionFactory_refusesToStart() {
		// when: the libraries are there, the host gave no ConnectionFactory bean
		runner().withPropertyValues("hapi.bulk.cluster.enabled=true").run(context -> {
			// then
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageStartingWith("BULK-0703: ");
		});
	}
}
