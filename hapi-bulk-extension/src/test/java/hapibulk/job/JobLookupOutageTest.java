package hapibulk.job;

import hapibulk.support.ServiceUnavailableException;
import org.hibernate.TransactionException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaSystemException;

import javax.sql.DataSource;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Status lookups while the database is away: a quick 503 with a generic message, never a hang or SQL. */
class JobLookupOutageTest {

	private static final RecoverySettings ONE_SECOND = new RecoverySettings(8, Duration.ofSeconds(1),
			Duration.ofSeconds(30), Duration.ofSeconds(30), 3, Duration.ofSeconds(1), 4, 1000);

	@Test
	void findVisible_whenTheDatabaseHangs_answers503WithinTheStatusTimeout() {
		// given: a pool that waits 30 s for a connection, as Hikari does by default
		BulkJobService service = service(dataSource(() -> {
			Thread.sleep(30_000);
			throw new SQLTransientConnectionException("pool timeout");
		}));

		// when
		long started = System.nanoTime();
		// then
		assertThatThrownBy(() -> service.findVisible("0123456789abcdef0123456789abcdef"))
				.isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
					assertThat(e.getStatusCode()).isEqualTo(503);
					assertThat(e.getResponseHeaders().get("Retry-After")).containsExactly("2");
					assertThat(e.getMessage()).startsWith("BULK-0410");
				});
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
	}

	@Test
	void findVisible_whenTheConnectionIsRefused_answers503_withoutTheDriversMessage() {
		// given
		BulkJobService service = service(dataSource(() -> {
			throw new SQLException("Connection to 10.0.0.7:5432 refused. SELECT JOB_ID FROM BULK_JOB", "08001");
		}));

		// when / then
		assertThatThrownBy(() -> service.findVisible("0123456789abcdef0123456789abcdef"))
				.isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
					assertThat(e.getMessage()).startsWith("BULK-0411").doesNotContain("10.0.0.7", "SELECT");
				});
	}

	@Test
	void transientErrors_areConnectionLossesUnderDatabaseCalls_notDataOrDiskErrors() {
		// a rollback on a connection whose socket was closed (what a cut line gives through Hibernate)
		SQLException closed = new SQLException("Connection is closed");
		closed.initCause(new EOFException());
		assertThat(TransientDatabaseErrors.isTransient(
				new JpaSystemException(new TransactionException("Unable to rollback against JDBC Connection", closed))))
				.isTrue();
		assertThat(TransientDatabaseErrors.isTransient(new SQLException("terminating connection", "57P01"))).isTrue();
		// not transient: a full disk, or data the database refuses
		assertThat(TransientDatabaseErrors.isTransient(new IOException("No space left on device"))).isFalse();
		assertThat(TransientDatabaseErrors.isTransient(new DataIntegrityViolationException("duplicate key"))).isFalse();
	}

	private interface ConnectionAttempt {
		void run() throws Exception;
	}

	private static DataSource dataSource(ConnectionAttempt attempt) {
		return (DataSource) Proxy.newProxyInstance(JobLookupOutageTest.class.getClassLoader(),
				new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
					if (method.getName().equals("getConnection")) {
						attempt.run();
					}
					throw new UnsupportedOperationException(method.getName());
				});
	}

	private static BulkJobService service(DataSource dataSource) {
		return new BulkJobService(new BulkJobTable(new JdbcTemplate(dataSource)), null, null, null, Duration.ofHours(1),
				Clock.systemUTC(), ONE_SECOND, hapibulk.storage.StorageSettings.defaults(), Duration.ofSeconds(2));
	}
}
