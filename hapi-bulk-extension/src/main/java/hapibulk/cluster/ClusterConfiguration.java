package hapibulk.cluster;

import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobFrame;
import hapibulk.job.NodeLease;
import hapibulk.job.PartitionClaims;
import hapibulk.job.PartitionWaves;
import hapibulk.job.RemotePartitions;
import hapibulk.metrics.BulkMetrics;
import hapibulk.support.BulkErrors;
import org.springframework.amqp.core.AcknowledgeMode;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;

import java.time.Duration;
import java.util.List;

/**
 * Cluster mode ({@code hapi.bulk.cluster.enabled=true}): partitions go to a shared RabbitMQ queue and every
 * worker node runs what it takes from there. Loaded only when enabled and when the host has Spring Batch
 * Integration and Spring AMQP (optional dependencies of the extension); otherwise no AMQP class is touched and
 * nothing connects to RabbitMQ. The RabbitMQ connection is the host's {@link ConnectionFactory} bean (Spring
 * Boot makes one from {@code spring.rabbitmq.*}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "hapi.bulk.cluster", name = "enabled", havingValue = "true")
@ConditionalOnClass(name = {"org.springframework.batch.integration.partition.MessageChannelPartitionHandler",
		"org.springframework.amqp.rabbit.core.RabbitTemplate"})
public class ClusterConfiguration {

	/** How long a stopping worker waits for its partitions to reach their next chunk boundary. */
	private static final Duration SHUTDOWN_WAIT = Duration.ofMinutes(2);

	@Bean
	public PartitionQueue hapiBulkPartitionQueue(ObjectProvider<ConnectionFactory> connectionFactory,
			BulkMetrics metrics, Environment environment) {
		ConnectionFactory rabbit = connectionFactory.getIfUnique();
		if (rabbit == null) {
			throw new IllegalStateException(BulkErrors.code(703) + "hapi.bulk.cluster.enabled=true needs one RabbitMQ "
					+ "ConnectionFactory bean (Spring Boot makes it from spring.rabbitmq.*; see docs/cluster.md)");
		}
		return new PartitionQueue(rabbit, settings(environment).queue(), metrics);
	}

	/** Which node runs each partition: a worker runs one only once it has claimed it. */
	@Bean
	public PartitionClaims hapiBulkPartitionClaims(DataSource dataSource, NodeLease lease) {
		return new PartitionClaims(new JdbcTemplate(dataSource), lease);
	}

	@Bean
	public NodeDrain hapiBulkNodeDrain(BulkBatchEngine engine, NodeLease lease) {
		return new NodeDrain(engine.jobExplorer(), lease.nodeId());
	}

	@Bean
	public RemotePartitions hapiBulkRemotePartitions(PartitionQueue hapiBulkPartitionQueue, BulkBatchEngine engine,
			NodeDrain hapiBulkNodeDrain, Environment environment) {
		ClusterSettings settings = settings(environment);
		return new RemotePartitions() {
			@Override
			public PartitionHandler handler(String workerStepName, PartitionWaves waves) throws Exception {
				return new RemotePartitionHandler(hapiBulkPartitionQueue, engine.jobExplorer(), workerStepName, waves,
						settings.pollInterval());
			}

			@Override
			public List<StepExecutionListener> workerListeners() {
				return List.of(hapiBulkNodeDrain);
			}
		};
	}

	/**
	 * This node's consumers of the queue: one per worker thread, each holding one unacknowledged request at a
	 * time (prefetch 1), acknowledged when its partition has ended; a request in hand when the node dies goes
	 * back to the queue for another node.
	 */
	@Bean
	@ConditionalOnProperty(prefix = "hapi.bulk.cluster", name = "worker", havingValue = "true", matchIfMissing = true)
	public SimpleMessageListenerContainer hapiBulkPartitionWorkers(PartitionQueue hapiBulkPartitionQueue,
			ObjectProvider<ConnectionFactory> connectionFactory, BulkJobFrame frame, BulkBatchEngine engine,
			NodeLease lease, NodeDrain hapiBulkNodeDrain, PartitionClaims hapiBulkPartitionClaims,
			Environment environment) {
		hapiBulkPartitionQueue.declareIfReachable();
		SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(connectionFactory.getObject());
		container.setQueueNames(hapiBulkPartitionQueue.name());
		container.setAcknowledgeMode(AcknowledgeMode.AUTO);
		container.setPrefetchCount(1);
		int threads = Binder.get(environment).bind("hapi.bulk.worker-threads", Integer.class).orElse(0);
		container.setConcurrentConsumers(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
		container.setMissingQueuesFatal(false);
		container.setDefaultRequeueRejected(true);
		// Stops after the drain (which asks running partitions to end at their next chunk) and waits for them.
		container.setPhase(NodeDrain.PHASE - 1);
		container.setShutdownTimeout(SHUTDOWN_WAIT.toMillis());
		container.setMessageListener(new PartitionWorker(engine.jobExplorer(), engine.jobRepository(),
				frame.workerSteps(), hapiBulkPartitionClaims, hapiBulkNodeDrain,
				lease.nodeId()));
		return container;
	}

	private static ClusterSettings settings(Environment environment) {
		return Binder.get(environment).bindOrCreate("hapi.bulk.cluster", ClusterSettings.class);
	}
}
