package hapibulk.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A fresh, empty database for one benchmark context: an H2 file database under the bench directory,
 * or a new PostgreSQL database made from the server's {@code test} database. {@link #drop()} removes it.
 */
record BenchDatabase(String kind, String url, String user, String adminUrl, String name, Path h2Directory) {

	static BenchDatabase fresh(String kind, Path benchDir) {
		String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
		if (kind.equals("postgres")) {
			String admin = System.getProperty("hapibulk.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
			String user = System.getProperty("hapibulk.test.postgres.user", "postgres");
			String name = "hapibulk_bench_" + suffix;
			execute(admin, user, "CREATE DATABASE " + name);
			return new BenchDatabase(kind, admin.replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1"), user, admin, name, null);
		}
		if (!kind.equals("h2")) {
			throw new IllegalArgumentException("bench.databases: h2 or postgres, not " + kind);
		}
		Path directory = benchDir.resolve("h2-" + suffix);
		return new BenchDatabase(kind, "jdbc:h2:file:" + directory.resolve("hapi").toAbsolutePath(), "sa", null, null,
				directory);
	}

	HikariDataSource dataSource() {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setUsername(user);
		config.setPassword("");
		config.setMaximumPoolSize(20);
		return new HikariDataSource(config);
	}

	String hibernateDialect() {
		return kind.equals("postgres") ? "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect"
				: "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
	}

	void drop() {
		if (name != null) {
			execute(adminUrl, user, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
		}
		if (h2Directory != null && Files.isDirectory(h2Directory)) {
			try (Stream<Path> paths = Files.walk(h2Directory)) {
				paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
	}

	private static void execute(String url, String user, String sql) {
		try (Connection connection = DriverManager.getConnection(url, user, "");
				Statement statement = connection.createStatement()) {
			statement.execute(sql);
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot run '" + sql + "' on " + url, e);
		}
	}
}
