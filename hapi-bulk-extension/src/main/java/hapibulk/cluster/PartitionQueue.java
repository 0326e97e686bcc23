package hapibulk.cluster;

import hapibulk.metrics.BulkMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageChannel;

/**
 * The channel Spring Batch's {@code MessageChannelPartitionHandler} sends partition requests into: each
 * request becomes a persistent message on the nodes' shared durable RabbitMQ queue (default exchange, routed
 * by the queue's name), so a request outlives a broker restart and waits there until some node takes it.
 * Each request sent is counted ({@code hapi.bulk.cluster.partitions.sent}): the broker's load per job.
 */
public class PartitionQueue implements MessageChannel {

	private static final Logger log = LoggerFactory.getLogger(PartitionQueue.class);

	private final RabbitTemplate template;
	private final RabbitAdmin admin;
	private final String name;
	private final BulkMetrics metrics;
	private volatile boolean declared;

	public PartitionQueue(ConnectionFactory connectionFactory, String name, BulkMetrics metrics) {
		this.template = new RabbitTemplate(connectionFactory);
		this.admin = new RabbitAdmin(connectionFactory);
		this.name = name;
		this.metrics = metrics;
	}

	public String name() {
		return name;
	}

	/** Declares the durable queue (idempotent on the broker); the first send does it too. */
	public void declare() {
		admin.declareQueue(new Queue(name, true, false, false));
		declared = true;
	}

	/** For a worker starting while RabbitMQ is away: its listener keeps retrying, a later send declares. */
	void declareIfReachable() {
		try {
			declare();
		} catch (RuntimeException e) {
			log.warn("Cannot declare the partition queue {} now; will retry: {}", name, e.toString());
		}
	}

	@Override
	public boolean send(Message<?> message, long timeout) {
		if (!declared) {
			declare();
		}
		StepExecutionRequest request = (StepExecutionRequest) message.getPayload();
		template.convertAndSend("", name, PartitionRequestText.write(request));
		metrics.partitionSent(request.getStepName());
		return true;
	}
}
