package hapibulk.it;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The database a started server uses: an H2 file database in the test's work directory (default),
 * or a new schema in PostgreSQL with {@code -Ppostgres}.
 */
public record ItDatabase(String url, String user) {

	public static ItDatabase fresh(Path workDir) {
		if (!"postgres".equals(System.getProperty("hapibulk.test.db", "h2"))) {
			return new ItDatabase("jdbc:h2:file:" + workDir.resolve("db").resolve("hapi-bulk").toAbsolutePath(), "sa");
		}
		String base = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
		String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
		String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		try (Connection connection = DriverManager.getConnection(base, user, "");
				Statement statement = connection.createStatement()) {
			statement.execute("CREATE SCHEMA " + schema);
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot create a schema in " + base, e);
		}
		return new ItDatabase(base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema, user);
	}
}
