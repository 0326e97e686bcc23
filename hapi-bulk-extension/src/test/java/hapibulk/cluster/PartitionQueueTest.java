package hapibulk.cluster;

import hapibulk.metrics.BulkMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.messaging.support.GenericMessage;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The partition queue against the real RabbitMQ: every request sent is one message on the queue and one
 * count of {@code hapi.bulk.cluster.partitions.sent}, tagged with the worker step's name.
 */
@Tag("cluster")
class PartitionQueueTest {

	private final String queueName = "hapi-bulk.test-" + UUID.randomUUID();
	private CachingConnectionFactory connectionFactory;

	@BeforeEach
	void connect() {
		ClusterNodes.assumeRabbitMqRuns();
		connectionFactory = new CachingConnectionFactory(ClusterNodes.RABBIT_HOST, ClusterNodes.RABBIT_PORT);
		connectionFactory.setUsername("guest");
		connectionFactory.setPassword("guest");
	}

	@AfterEach
	void removeQueue() {
		if (connectionFactory != null) {
			new RabbitAdmin(connectionFactory).deleteQueue(queueName);
			connectionFactory.destroy();
		}
	}

	@Test
	void send_putsOneMessagePerRequestOnTheQueue_andCountsItByStep() {
		// given
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		PartitionQueue queue = new PartitionQueue(connectionFactory, queueName, BulkMetrics.on(registry));

		// when
		queue.send(new GenericMessage<>(new StepExecutionRequest("bulkExportTypeStep", 7L, 11L)), 0);
		queue.send(new GenericMessage<>(new StepExecutionRequest("bulkExportTypeStep", 7L, 12L)), 0);
		queue.send(new GenericMessage<>(new StepExecutionRequest("bulkImportInputStep", 8L, 13L)), 0);

		// then
		assertThat(registry.get("hapi.bulk.cluster.partitions.sent").tag("step", "bulkExportTypeStep").counter()
				.count()).isEqualTo(2.0);
		assertThat(registry.get("hapi.bulk.cluster.partitions.sent").tag("step", "bulkImportInputStep").counter()
				.count()).isEqualTo(1.0);
		RabbitTemplate template = new RabbitTemplate(connectionFactory);
		assertThat(template.receiveAndConvert(queueName, 2000)).isEqualTo("7:11:bulkExportTypeStep");
		assertThat(template.receiveAndConvert(queueName, 2000)).isEqualTo("7:12:bulkExportTypeStep");
		assertThat(template.receiveAndConvert(queueName, 2000)).isEqualTo("8:13:bulkImportInputStep");
		assertThat(template.receiveAndConvert(queueName, 200)).isNull();
	}
}
