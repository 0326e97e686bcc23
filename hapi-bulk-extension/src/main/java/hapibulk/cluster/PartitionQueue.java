package hapibulk.cluster;

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
 */
public class PartitionQueue implements MessageChannel {

	private static final Logger log = LoggerFactory.getLogger(PartitionQueue.class);

	private final RabbitTemplate template;
	private final RabbitAdmin admin;
	private final String name;
	private volatile boolean declared;

	public PartitionQueue(ConnectionFactory connectionFactory, String name) {
		this.template = new RabbitTemplate(connectionFactory);
		this.admin = new RabbitAdmin(connectionFactory);
		this.name = name;
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
		template.convertAndSend("", name, PartitionRequestText.write((StepExecutionRequest) message.getPayload()));
		return true;
	}
}
