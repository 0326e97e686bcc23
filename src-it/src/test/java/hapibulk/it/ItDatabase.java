package hapibulk.it;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.UUID;

/**
 * The database a started server uses: an H2 file database in the test's work directory (default),
 * or a new database on the PostgreSQL server with {@code -Ppostgres}.
 * <p>
 * A database, not a schema of a shared one: Hibernate's schema update (HAPI's DDL) finds HAPI's
 * sequences in any other schema of the database and then skips creating them in the new one.
 */
public record ItDatabase(String url, String user, Runnable drop) {

	public static ItDatabase fresh(Path workDir) {
		if (!"postgres".equals(System.getProperty("hapibulk.test.db", "h2"))) {
			return new ItDatabase("jdbc:h2:file:" + workDir.resolve("db").resolve("hapi-bulk").toAbsolutePath(), "sa",
					() -> {});
		}
		String base = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
		String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
		String database = "hapibulk_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		execute(base, user, "CREATE DATABASE " + database);
		return new ItDatabase(withDatabase(base, database), user,
				() -> execute(base, user, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)"));
	}

	/** The JDBC URL of another database on the same server. */
	static String withDatabase(String url, String database) {
		return url.replaceFirst("/[^/?]+(\\?|$)", "/" + database + "$1");
	}

	/** Runs one statement: {@code PostgresDatabase create|drop NAME} for Maven (the Tomcat test's database). */
	public static void main(String[] args) {
		String base = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
		String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
		execute(base, user, args[0].equals("create") ? "CREATE DATABASE " + args[1]
				: "DROP DATABASE IF EXISTS " + args[1] + " WITH (FORCE)");
	}

	private static void execute(String url, String user, String sql) {
		Properties credentials = new Properties();
		credentials.setProperty("user", user);
		credentials.setProperty("password", "");
		// The driver itself, not DriverManager: under exec:java each run has a class loader of its own.
		try (Connection connection = new org.postgresql.Driver().connect(url, credentials);
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot run '" + sql + "' on " + url, e);
		}
	}
}
