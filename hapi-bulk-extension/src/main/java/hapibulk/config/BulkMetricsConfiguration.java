package hapibulk.config;

import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkHealthIndicator;
import hapibulk.job.BulkJobTable;
import hapibulk.job.JobGauges;
import hapibulk.metrics.BulkMetrics;
import hapibulk.storage.BulkFileStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * Meters and health: on the host's own {@link MeterRegistry} (Actuator's) when it has one, nothing at all
 * when it has none; a {@code hapiBulk} health component when Actuator is on the classpath.
 */
@Configuration(proxyBeanMethods = false)
public class BulkMetricsConfiguration {

	/**
	 * Looked up, not required: a host without Micrometer registry gets the no-op path, never a registry of
	 * ours. With several registries, the primary one (Boot's composite).
	 */
	@Bean
	public BulkMetrics hapiBulkMetrics(ObjectProvider<MeterRegistry> registry) {
		return BulkMetrics.on(registry.getIfUnique());
	}

	@Bean
	public JobGauges hapiBulkJobGauges(BulkMetrics metrics, BulkJobTable table, BulkFileStore fileStore) {
		return new JobGauges(metrics, table, fileStore, Clock.systemUTC());
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
	static class Health {

		@Bean
		public BulkHealthIndicator hapiBulkHealthIndicator(BulkBatchEngine engine, BulkJobTable table,
				BulkFileStore fileStore, BulkProperties properties) {
			return new BulkHealthIndicator(engine, table, fileStore, properties.storage());
		}
	}
}
