package hapibulk.bench;

import hapibulk.bench.Contenders.ExportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;

import javax.sql.DataSource;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The export floor: one bare JDBC scan of HAPI's current resource text (one query, one connection,
 * streamed), each row given {@code id} and {@code meta.versionId/lastUpdated} as text and written
 * to its type's NDJSON file through a 1 MiB buffer. No tags, no paging, no restart points: what the
 * database and disk allow, not a usable export.
 */
final class FloorExport implements ExportContender {

	private static final String SQL = "SELECT r.RES_TYPE, r.RES_ID, r.FHIR_ID, r.RES_VER, v.RES_UPDATED, v.RES_TEXT_VC"
			+ " FROM HFJ_RESOURCE r JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER"
			+ " WHERE r.RES_DELETED_AT IS NULL AND r.RES_TYPE IN (%s)";

	private final DataSource dataSource;
	private final Path directory;

	FloorExport(DataSource dataSource, Path directory) {
		this.dataSource = dataSource;
		this.directory = directory;
	}

	@Override
	public Role role() {
		return Role.FLOOR;
	}

	@Override
	public Outcome export(List<String> types, int run) throws Exception {
		Files.createDirectories(directory);
		Map<String, OutputStream> files = new HashMap<>();
		long count = 0;
		long skipped = 0;
		try (Connection connection = dataSource.getConnection()) {
			connection.setAutoCommit(false); // PostgreSQL streams only inside a transaction
			String sql = String.format(SQL, String.join(",", Collections.nCopies(types.size(), "?")));
			try (PreparedStatement statement = connection.prepareStatement(sql)) {
				statement.setFetchSize(5000);
				for (int i = 0; i < types.size(); i++) {
					statement.setString(i + 1, types.get(i));
				}
				try (ResultSet rs = statement.executeQuery()) {
					while (rs.next()) {
						String text = rs.getString(6);
						if (text == null) {
							skipped++;
							continue;
						}
						String type = rs.getString(1);
						String id = rs.getString(3) == null ? Long.toString(rs.getLong(2)) : rs.getString(3);
						String line = withIdAndMeta(text, type, id, rs.getLong(4), rs.getTimestamp(5).toInstant().toString());
						files.computeIfAbsent(type, this::open).write(line.getBytes(StandardCharsets.UTF_8));
						count++;
					}
				}
			}
			connection.commit();
		} finally {
			for (OutputStream file : files.values()) {
				file.close();
			}
		}
		return new Outcome(count, skipped == 0 ? "" : skipped + " rows not stored as JSON text skipped");
	}

	/** HAPI stores {@code {"resourceType":"X",...}} without id and meta: splice them in after the type. */
	static String withIdAndMeta(String text, String type, String id, long version, String lastUpdated) {
		String head = "{\"resourceType\":\"" + type + "\"";
		if (!text.startsWith(head)) {
			throw new IllegalStateException(type + "/" + id + " is not stored as {\"resourceType\":...}");
		}
		// The rest starts with ',' (more elements follow) or '}' (none).
		return head + ",\"id\":\"" + id + "\",\"meta\":{\"versionId\":\"" + version + "\",\"lastUpdated\":\""
				+ lastUpdated + "\"}" + text.substring(head.length()) + "\n";
	}

	private OutputStream open(String type) {
		try {
			return new BufferedOutputStream(Files.newOutputStream(directory.resolve(type + ".ndjson")), 1 << 20);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public void cleanUp() throws IOException {
		if (Files.isDirectory(directory)) {
			try (Stream<Path> files = Files.list(directory)) {
				for (Path file : files.toList()) {
					Files.delete(file);
				}
			}
		}
	}
}
