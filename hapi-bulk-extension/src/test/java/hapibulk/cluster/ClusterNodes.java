package hapibulk.cluster;

import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.TestDatabase;
import hapibulk.testsupport.TestHapiServerConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.MapPropertySource;

import java.io.IOException;
import java.lang.reflect.Field;
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
	final Path inputs;
	final String queue = "hapi-bulk.test." + UUID.randomUUID();

	/** @param inputs the directory {@code file:} import inputs are read from, shared like {@code files} */
	ClusterNodes(Path files, Path inputs) {
		this.files = files;
		this.inputs = inputs;
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
		return start(nodeId, worker, Map.of(), extraConfig);
	}

	/** @param overrides settings of this node that differ from the cluster's */
	AnnotationConfigApplicationContext start(String nodeId, boolean worker, Map<String, String> overrides,
			Class<?>... extraConfig) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("hapi.bulk.file-directory", files.toString());
		properties.put("hapi.bulk.server-base-url", "http://localhost/fhir");
		properties.put("hapi.bulk.audit.store-events", "false");
		properties.put("hapi.bulk.export.include-referenced-resources", "false");
		// Many chunks per partition, and several files for the big type.
		properties.put("hapi.bulk.export.page-size", "50");
		properties.put("hapi.bulk.export.max-resources-per-file", "200");
		// The 1,215 Encounters in five key ranges, each a partition of its own.
		properties.put("hapi.bulk.export.partition-size", "300");
		properties.put("hapi.bulk.export.write-settle-time", "0s");
		// A node "killed" in this JVM leaves its open database transaction behind; exports need not wait for it.
		properties.put("hapi.bulk.export.write-wait-limit", "2s");
		properties.put("hapi.bulk.worker-threads", "2");
		properties.put("hapi.bulk.import.directory", inputs.toString());
		properties.put("hapi.bulk.recovery.watchdog-interval", "0s");
		properties.put("hapi.bulk.cluster.enabled", "true");
		properties.put("hapi.bulk.cluster.worker", String.valueOf(worker));
		properties.put("hapi.bulk.cluster.node-id", nodeId);
		properties.put("hapi.bulk.cluster.queue", queue);
		properties.put("hapi.bulk.cluster.poll-interval", "200ms");
		properties.putAll(overrides);
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("node " + nodeId, properties));
		context.register(TestHapiServerConfig.class, BulkConfiguration.class, NodeBeans.class);
		for (Class<?> config : extraConfig) {
			context.register(config);
		}
		context.refresh();
		return context;
	}

	/**
	 * Kills a node as {@code kill -9} would its process, as far as the others can see: its database connections
	 * and its RabbitMQ connection break (RabbitMQ hands its unacknowledged requests to others). Its threads stay
	 * where they are, so nothing of the node runs on; close the context only when the test is done.
	 */
	static void kill(AnnotationConfigApplicationContext node) {
		node.getBean("sharedDataSource", HikariDataSource.class).close();
		node.getBean(CachingConnectionFactory.class).resetConnection();
	}

	/**
	 * Spring Batch registers a running step execution in a JVM-wide registry (StepSynchronizationManager), keyed
	 * by its id: a node that resumed a killed node's partition in this JVM would be handed the killed node's
	 * stale registration. A killed process takes its registry with it; here it is removed by hand.
	 */
	static void forgetStepRegistration(long stepExecutionId) throws ReflectiveOperationException {
		Field managerField = StepSynchronizationManager.class.getDeclaredField("manager");
		managerField.setAccessible(true);
		Object manager = managerField.get(null);
		for (String registry : new String[] {"contexts", "counts"}) {
			Field field = manager.getClass().getSuperclass().getDeclaredField(registry);
			field.setAccessible(true);
			((Map<?, ?>) field.get(manager)).keySet()
					.removeIf(step -> ((StepExecution) step).getId() == stepExecutionId);
		}
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
		HikariDataSource sharedDataSource() {
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
