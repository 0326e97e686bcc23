package hapibulk.testsupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The database a test runs against, chosen by the system property {@code hapibulk.test.db}: an H2
 * in-memory database (default), or a new database on the PostgreSQL server of
 * {@code hapibulk.test.postgres.url} (Maven profile {@code postgres}), dropped when the JVM exits.
 * Each call gives a fresh, empty database.
 * <p>
 * A database, not a schema of the shared one: Hibernate's schema update (HAPI's DDL) finds HAPI's
 * sequences in any other schema of the database and then skips creating them in the new one.
 */
public record TestDatabase(String kind, String url, String user) {

	public static TestDatabase fresh() {
		String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		if (isPostgres()) {
			String base = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
			String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
			String database = "hapibulk_test_" + suffix;
			execute(base, user, "CREATE DATABASE " + database);
			Runtime.getRuntime().addShutdownHook(new Thread(() -> {
				try {
					execute(base, user, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
				} catch (IllegalStateException ignored) {
					// best effort
				}
			}));
			return new TestDatabase("postgres", base.replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1"), user);
		}
		return new TestDatabase("h2", "jdbc:h2:mem:hapibulk_" + suffix + ";DB_CLOSE_DELAY=-1", "sa");
	}

	private static void execute(String url, String user, String sql) {
		try (Connection connection = DriverManager.getConnection(url, user, "");
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot run '" + sql + "' on " + url, e);
		}
	}

	public static boolean isPostgres() {
		return "postgres".equals(System.getProperty("hapibulk.test.db", "h2"));
	}

	public HikariDataSource dataSource() {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setUsername(user);
		config.setPassword("");
		config.setMaximumPoolSize(10);
		// Connections on demand, and given back after 10 s unused: the cluster tests run several nodes (two pools
		// each) in one JVM, the contexts Spring caches keep their pools, .ci/run runs a WAR beside the test JVMs,
		// and PostgreSQL allows 100 clients in all.
		config.setMinimumIdle(1);
		config.setIdleTimeout(10_000);
		return new HikariDataSource(config);
	}

	public String hibernateDialect() {
		return kind.equals("postgres") ? "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect"
				: "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
	}
}
