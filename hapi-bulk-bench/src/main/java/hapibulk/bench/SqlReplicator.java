package hapibulk.bench;

import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Fast loading of the export data: one Synthea copy is stored through HAPI (the import floor path),
 * then its rows are copied in SQL, {@code copies - 1} times, each copy with new ids. HAPI's write
 * path stores ~100-300 resources/s here, so 200,000 resources through HAPI alone would take longer
 * than the whole benchmark may.
 * <p>
 * What is copied is what an export reads: {@code HFJ_RESOURCE}, {@code HFJ_RES_VER},
 * {@code HFJ_RES_TAG} and, for Patient and Group exports, the reference index {@code HFJ_RES_LINK}
 * (its targets shifted like the keys, so each copy's links stay within the copy). Keys are shifted by a large offset per copy (far beyond HAPI's sequences),
 * and every UUID in the id and the stored JSON gets a new first group ({@code c} + copy number), so
 * the references of a copy point at that copy's resources. Search indexes are not copied: exports
 * do not use them.
 */
final class SqlReplicator {

	private static final long KEY_OFFSET = 1_000_000_000L;
	private static final String UUID_TAIL = "[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

	/** The columns that change per copy, by table; every other column is copied as is. */
	private static final Map<String, List<String>> SHIFTED_KEYS = Map.of(
			"HFJ_RESOURCE", List.of("RES_ID"),
			"HFJ_RES_VER", List.of("PID", "RES_ID"),
			"HFJ_RES_TAG", List.of("PID", "RES_ID"),
			"HFJ_RES_LINK", List.of("PID", "SRC_RESOURCE_ID", "TARGET_RESOURCE_ID"));

	/** The column that says which resource a row belongs to, by table (RES_ID where not listed). */
	private static final Map<String, String> OWNER = Map.of("HFJ_RES_LINK", "SRC_RESOURCE_ID");

	private final DataSource dataSource;
	private final JdbcTemplate jdbc;
	private final boolean postgres;

	SqlReplicator(DataSource dataSource, boolean postgres) {
		this.dataSource = dataSource;
		this.jdbc = new JdbcTemplate(dataSource);
		this.postgres = postgres;
	}

	/** Copies the current rows {@code copies - 1} times; returns how many resources exist afterwards. */
	long replicate(int copies, long maxResources) throws SQLException {
		long perCopy = count();
		for (int copy = 1; copy < copies; copy++) {
			long offset = KEY_OFFSET * copy;
			// The last copy may be cut: keys in order, so a prefix of the first copy's rows.
			long take = Math.min(perCopy, maxResources - perCopy * copy);
			if (take <= 0) {
				break;
			}
			Long maxKey = jdbc.queryForObject("SELECT MAX(RES_ID) FROM (SELECT RES_ID FROM HFJ_RESOURCE WHERE RES_ID < ?"
					+ " ORDER BY RES_ID FETCH FIRST " + take + " ROWS ONLY) k", Long.class, KEY_OFFSET);
			for (String table : List.of("HFJ_RESOURCE", "HFJ_RES_VER", "HFJ_RES_TAG", "HFJ_RES_LINK")) {
				jdbc.update(copySql(table, copy, offset), KEY_OFFSET, maxKey);
			}
		}
		// Fresh statistics, as a loaded database would have after autovacuum: plans then fit the data.
		jdbc.execute(postgres ? "ANALYZE HFJ_RESOURCE, HFJ_RES_VER, HFJ_RES_TAG, HFJ_RES_LINK" : "ANALYZE");
		return count();
	}

	private long count() {
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE", Long.class);
		return count == null ? 0 : count;
	}

	private String copySql(String table, int copy, long offset) throws SQLException {
		List<String> columns = columns(table);
		String select = columns.stream().map(column -> expression(table, column, copy, offset))
				.collect(Collectors.joining(", "));
		String owner = OWNER.getOrDefault(table, "RES_ID");
		return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") SELECT " + select + " FROM " + table
				+ " WHERE " + owner + " < ? AND " + owner + " <= ?";
	}

	private String expression(String table, String column, int copy, long offset) {
		if (SHIFTED_KEYS.get(table).contains(column)) {
			return column + " + " + offset;
		}
		if (column.equals("FHIR_ID") || column.equals("RES_TEXT_VC")) {
			String prefix = String.format(Locale.ROOT, "c%07d", copy);
			return "REGEXP_REPLACE(" + column + ", '" + UUID_TAIL + "', '" + prefix + (postgres ? "\\1', 'g')" : "$1')");
		}
		return column;
	}

	private List<String> columns(String table) throws SQLException {
		List<String> columns = new ArrayList<>();
		try (Connection connection = dataSource.getConnection()) {
			DatabaseMetaData meta = connection.getMetaData();
			String name = postgres ? table.toLowerCase(Locale.ROOT) : table;
			try (ResultSet rs = meta.getColumns(null, null, name, null)) {
				while (rs.next()) {
					columns.add(rs.getString("COLUMN_NAME").toUpperCase(Locale.ROOT));
				}
			}
		}
		if (columns.isEmpty()) {
			throw new IllegalStateException("No columns found for " + table);
		}
		return columns;
	}
}
