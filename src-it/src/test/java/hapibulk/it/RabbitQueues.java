package hapibulk.it;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/** The RabbitMQ at 127.0.0.1:5672 (guest/guest) the cluster nodes share. */
final class RabbitQueues {

	private RabbitQueues() {}

	/** Fails at once, with a clear message, when RabbitMQ does not answer. */
	static void assertReachable() {
		try (Connection connection = factory().newConnection("hapi-bulk-cluster-it")) {
			if (!connection.isOpen()) {
				throw new IllegalStateException("closed");
			}
		} catch (Exception e) {
			throw new IllegalStateException("The cluster test needs RabbitMQ at 127.0.0.1:5672 (guest/guest)", e);
		}
	}

	/** Deletes a run's queue: the nodes declare it durable, so it would outlive the run. */
	static void delete(String queue) throws Exception {
		try (Connection connection = factory().newConnection("hapi-bulk-cluster-it");
				Channel channel = connection.createChannel()) {
			channel.queueDelete(queue);
		}
	}

	private static ConnectionFactory factory() {
		ConnectionFactory factory = new ConnectionFactory();
		factory.setHost("127.0.0.1");
		factory.setPort(5672);
		factory.setUsername("guest");
		factory.setPassword("guest");
		return factory;
	}
}
