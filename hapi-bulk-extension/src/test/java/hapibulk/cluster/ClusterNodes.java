package hapibulk.cluster;

import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.TestDatabase;
import hapibulk.testsupport.TestHapiServerConfig;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.MapPropertySource;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Server nodes of one cluster in one JVM, as separate processes would be: each a HAPI JPA server context with
 * the extension, its own connection pool to one shared database, its own RabbitMQ connection, one shared
 * file directory (a shared mount) and one queue, new per test run.
 */
final class ClusterNodes {

	static final String RABBIT_HOST = "127.0.0.1";
	static final int RABBIT_PORT = 5672;

	/** The database the nodes share: set before the first node starts. */
	private static TestDatabase database;

	final Path files;
	final String queue = "hapi-bulk.test." + UUID.randomUUID();

	ClusterNodes(Path files) {
		this.files = files;
		database = TestDatabase.fresh();
	}

	/**
	 * Skips the test where no RabbitMQ runs, unless the Maven profile {@code cluster} asks for it
	 * ({@code hapibulk.test.cluster=required}): then a missing RabbitMQ fails it.
	 */
	static void assumeRabbitMqRuns() {
		boolean reachable;
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(RABBIT_HOST, RABBIT_PORT), 2000);
			reachable = true;
		} catch (IOException e) {
			reachable = false;
		}
		if (!reachable && "required".equals(System.getProperty("hapibulk.test.cluster"))) {
			fail("RabbitMQ does not answer at " + RABBIT_HOST + ":" + RABBIT_PORT);
		}
		assumeTrue(reachable, "RabbitMQ does not answer at " + RABBIT_HOST + ":" + RABBIT_PORT);
	}

	/** Starts a node: {@code worker} false makes an accept-only node. */
	AnnotationConfigApplicationContext start(String nodeId, boolean worker, Class<?>... extraConfig) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("hapi.bulk.file-directory", files.toString());
		properties.put("hapi.bulk.audit.store-events", "false");
		properties.put("hapi.bulk.export.include-referenced-resources", "false");
		// Many chunks per partition, and several files for the big type.
		properties.put("hapi.bulk.export.page-size", "50");
		properties.put("hapi.bulk.export.max-resources-per-file", "400");
		properties.put("hapi.bulk.export.write-settle-time", "0s");
		properties.put("hapi.bulk.worker-threads", "2");
		properties.put("hapi.bulk.recovery.watchdog-interval", "0s");
		properties.put("hapi.bulk.cluster.enabled", "true");
		properties.put("hapi.bulk.cluster.worker", String.valueOf(worker));
		properties.put("hapi.bulk.cluster.node-id", nodeId);
		properties.put("hapi.bulk.cluster.queue", queue);
		properties.put("hapi.bulk.cluster.poll-interval", "200ms");
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("node " + nodeId, properties));
		context.register(TestHapiServerConfig.class, BulkConfiguration.class, NodeBeans.class);
		for (Class<?> config : extraConfig) {
			context.register(config);
		}
		context.refresh();
		return context;
	}

	/** Removes the run's queue from the broker. */
	void deleteQueue() {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(RABBIT_HOST, RABBIT_PORT);
		try {
			new RabbitAdmin(connectionFactory).deleteQueue(queue);
		} finally {
			connectionFactory.destroy();
		}
	}

	/** What a host gives every node: the shared database and a RabbitMQ connection (Boot: spring.rabbitmq.*). */
	@Configuration(proxyBeanMethods = false)
	static class NodeBeans {

		@Bean(destroyMethod = "close")
		@Primary
		DataSource sharedDataSource() {
			return database.dataSource();
		}

		@Bean(destroyMethod = "destroy")
		CachingConnectionFactory rabbitConnectionFactory() {
			CachingConnectionFactory connectionFactory = new CachingConnectionFactory(RABBIT_HOST, RABBIT_PORT);
			connectionFactory.setUsername("guest");
			connectionFactory.setPassword("guest");
			return connectionFactory;
		}
	}
}
