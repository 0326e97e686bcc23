package hapibulk.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import javax.sql.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Status polls through the host's real RestfulServer while the database stops answering, and while the lookup
 * executor is full: each answers 503 with {@code Retry-After} and a BULK code, never a 500, and the same
 * job answers 200 again once the database is back.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, StatusPollsUnderOutageTest.HangableDatabase.class,
		BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusPollsUnderOutageTest {

	static final Path FILES = tempDirectory();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", FILES::toString);
		registry.add("hapi.bulk.auth.mode", () -> "none");
		registry.add("hapi.bulk.retry-after", () -> "2s");
		registry.add("hapi.bulk.recovery.status-timeout", () -> "500ms");
		// One thread and a queue of one: the third concurrent poll during the outage finds the executor full.
		registry.add("hapi.bulk.recovery.status-lookup-threads", () -> "1");
		registry.add("hapi.bulk.recovery.status-lookup-queue", () -> "1");
	}

	/** Wraps the host's DataSource so that the test can make every new connection wait, as a pool does for a dead server. */
	@Configuration
	static class HangableDatabase {
		@Bean
		static BeanPostProcessor hangableDataSource() {
			return new BeanPostProcessor() {
				@Override
				public Object postProcessAfterInitialization(Object bean, String name) {
					return bean instanceof DataSource dataSource && name.equals("dataSource")
							? new HangingDataSource(dataSource) : bean;
				}
			};
		}
	}

	static final class HangingDataSource extends DelegatingDataSource {
		static volatile CountDownLatch answering = new CountDownLatch(0);

		HangingDataSource(DataSource target) {
			super(target);
		}

		@Override
		public Connection getConnection() throws SQLException {
			awaitAnswering();
			return super.getConnection();
		}

		@Override
		public Connection getConnection(String user, String password) throws SQLException {
			awaitAnswering();
			return super.getConnection(user, password);
		}

		private static void awaitAnswering() throws SQLException {
			try {
				if (!answering.await(30, TimeUnit.SECONDS)) {
					throw new SQLException("connection wait timed out", "08001");
				}
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				throw new SQLException("interrupted while waiting for a connection", "08001", e);
			}
		}
	}

	@Autowired
	RestfulServer server;
	@Autowired
	DaoRegistry daoRegistry;

	RestfulServerClient client;
	String statusUrl;

	@BeforeAll
	void exportSomething() {
		client = new RestfulServerClient(server);
		daoRegistry.getResourceDao(Patient.class).create(new Patient().setActive(true), new SystemRequestDetails());
		Answer kickOff = client.get("$export?_type=Patient", "Accept", "application/fhir+json", "Prefer",
				"respond-async");
		assertThat(kickOff.status()).isEqualTo(202);
		statusUrl = kickOff.header("Content-Location");
		await().atMost(60, TimeUnit.SECONDS).until(() -> client.get(statusUrl).status() == 200);
	}

	@AfterEach
	void databaseAnswersAgain() {
		HangingDataSource.answering.countDown();
	}

	@Test
	void poll_whileTheDatabaseStopsAnswering_is503WithRetryAfter_thenTheJobAnswersAgain() {
		// given
		HangingDataSource.answering = new CountDownLatch(1);

		// when
		Answer during = client.get(statusUrl);

		// then
		assertUnavailable(during);
		HangingDataSource.answering.countDown();
		await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(client.get(statusUrl).status()).isEqualTo(200));
	}

	@Test
	void polls_whileTheLookupExecutorIsFull_are503WithRetryAfter_noneIs500() throws Exception {
		// given: the one lookup thread hangs on the database, and more polls arrive than its queue holds
		HangingDataSource.answering = new CountDownLatch(1);
		ExecutorService pollers = Executors.newFixedThreadPool(6);
		try {
			List<Future<Answer>> polls = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				polls.add(pollers.submit(() -> client.get(statusUrl)));
			}

			// then
			for (Future<Answer> poll : polls) {
				assertUnavailable(poll.get(10, TimeUnit.SECONDS));
			}
		} finally {
			pollers.shutdownNow();
		}
	}

	private static void assertUnavailable(Answer answer) {
		assertThat(answer.status()).as(answer.body()).isEqualTo(503);
		assertThat(answer.header("Retry-After")).isEqualTo("2");
		assertThat(answer.body()).contains("OperationOutcome").contains("BULK-0410").doesNotContain("BULK-0127")
				.doesNotContain("SQL").doesNotContain("Exception");
	}

	private static Path tempDirectory() {
		try {
			return Files.createTempDirectory("hapi-bulk-outage-files");
		} catch (java.io.IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}
}
