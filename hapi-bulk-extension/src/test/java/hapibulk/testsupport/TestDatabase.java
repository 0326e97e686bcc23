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
 * in-memory database (default), or a new schema of the PostgreSQL database at
 * {@code hapibulk.test.postgres.url} (Maven profile {@code postgres}). Each call gives a fresh,
 * empty database.
 */
public record TestDatabase(String kind, String url, String user) {

	public static TestDatabase fresh() {
		String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		if (isPostgres()) {
			String base = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
			String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
			String schema = "hb_" + suffix;
			try (Connection connection = DriverManager.getConnection(base, user, "");
					Statement statement = connection.createStatement()) {
				statement.execute("CREATE SCHEMA " + schema);
			} catch (SQLException e) {
				throw new IllegalStateException("Cannot create a test schema in " + base, e);
			}
			return new TestDatabase("postgres", base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema, user);
		}
		return new TestDatabase("h2", "jdbc:h2:mem:hapibulk_" + suffix + ";DB_CLOSE_DELAY=-1", "sa");
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
		return new HikariDataSource(config);
	}

	public String hibernateDialect() {
		return kind.equals("postgres") ? "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect"
				: "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
	}
}
