package hapibulk.export.job;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.ResultSetExtractor;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static hapibulk.export.job.Sql.prepare;

/**
 * The rows of one page in key order, bounded by rows and bytes: the page query, and the H2 path
 * that keeps H2 from copying every CLOB and from sorting a whole type per page.
 */
class PageRows {

	/** HAPI 8.8's index on HFJ_RESOURCE (RES_ID, RES_UPDATED, PARTITION_ID). */
	private static final String H2_KEY_INDEX = "IDX_RES_RESID_UPDATED";

	private final JdbcTemplate jdbc;
	private volatile Boolean h2;
	private volatile String keyOrderHint;

	PageRows(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/** The rows {@code where} selects, at most {@code maxRows}, until {@code maxBytes} of text were read. */
	List<StoredRow> read(Sql where, int maxRows, long maxBytes) {
		return isH2() ? readRowsOnH2(where, maxRows, maxBytes) : readSortedRows(where, maxRows, maxBytes, "v.RES_TEXT_VC");
	}

	/** The page's rows, sorted by the database, {@code text} selected as RES_TEXT_VC. */
	private List<StoredRow> readSortedRows(Sql where, int maxRows, long maxBytes, String text) {
		return Objects.requireNonNull(jdbc.query(con -> prepare(con.prepareStatement(
						pageSql(where, maxRows, "r.FHIR_ID, r.RES_VER, r.HAS_TAGS, v.RES_UPDATED, v.RES_ENCODING, "
								+ text + ", v.SOURCE_URI, v.REQUEST_ID")), where.args(), maxRows),
				(ResultSetExtractor<List<StoredRow>>) rs -> rowsInKeyOrder(rs, maxBytes)), "A sorted page came out of key order");
	}

	/**
	 * On H2: first the page's keys and text lengths (H2 knows a CLOB's length without reading it), to
	 * find the rows within {@code maxBytes}; then those rows, with the text cast to VARCHAR. H2 gathers
	 * a result before handing out its first row, and copies every CLOB in it on the way (a fifth of an
	 * H2 export's time); a VARCHAR is not copied. H2's lazy query execution would avoid the copies too,
	 * but corrupts results now and then (H2 issue #4142: "Chunk ... not found" under concurrent writes).
	 */
	private List<StoredRow> readRowsOnH2(Sql where, int maxRows, long maxBytes) {
		List<long[]> lengths = jdbc.query(con -> prepare(con.prepareStatement(
						pageSql(where, maxRows, "LENGTH(v.RES_TEXT_VC) AS TEXT_LENGTH")), where.args(), maxRows),
				(rs, i) -> new long[] {rs.getLong(1), rs.getLong(2)});
		if (lengths.isEmpty()) {
			return List.of();
		}
		int count = 0;
		long bytes = 0;
		while (count < lengths.size() && bytes < maxBytes) {
			bytes += lengths.get(count++)[1];
		}
		Sql prefix = where.and("r.RES_ID <= ?", lengths.get(count - 1)[0]);
		return readSortedRows(prefix, count, Long.MAX_VALUE, "CAST(v.RES_TEXT_VC AS VARCHAR) AS RES_TEXT_VC");
	}

	/**
	 * The rows until {@code maxBytes} of stored text were read (at least one): the rows after that
	 * bound (large attachments, say) are never fetched, so the page must be a prefix of the keys in
	 * order. Null as soon as a row comes out of key order.
	 */
	private static List<StoredRow> rowsInKeyOrder(ResultSet rs, long maxBytes) throws SQLException {
		List<StoredRow> rows = new ArrayList<>();
		long bytes = 0;
		while (bytes < maxBytes && rs.next()) {
			StoredRow row = StoredRow.of(rs);
			if (!rows.isEmpty() && row.pid() <= rows.get(rows.size() - 1).pid()) {
				return null;
			}
			rows.add(row);
			bytes += row.textLength();
		}
		return rows;
	}

	/**
	 * The page query: first the page's keys from {@code HFJ_RESOURCE} in key order (a derived table,
	 * so no planner can join {@code HFJ_RES_VER} first and sort the whole join, as H2's did), then
	 * their current versions' text by (RES_ID, RES_VER). On H2 the key scan is also held to an index
	 * in key order ({@link #keyOrderHint}): H2 otherwise takes the type index, ordered by update time,
	 * and sorts all of a type's remaining rows for every page (quadratic in the type's size).
	 *
	 * @param columns what is selected after r.RES_ID
	 */
	String pageSql(Sql where, int maxRows, String columns) {
		return "SELECT r.RES_ID, " + columns
				+ " FROM (SELECT r.RES_ID, r.FHIR_ID, r.RES_VER, r.HAS_TAGS FROM HFJ_RESOURCE r" + keyOrderHint()
				+ " WHERE " + where.sql() + " ORDER BY r.RES_ID FETCH FIRST " + maxRows + " ROWS ONLY) r"
				+ " JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER ORDER BY r.RES_ID";
	}

	/**
	 * On H2, the index the page's key scan must use: ours on (RES_TYPE, RES_ID) when it exists (see
	 * {@link TypeKeyIndex}), else HAPI's that starts with RES_ID. Other databases choose well alone.
	 * Decided once: on H2 an index made later is used from the next start.
	 */
	private String keyOrderHint() {
		String hint = keyOrderHint;
		if (hint == null) {
			String index = !isH2() ? null : h2IndexExists(TypeKeyIndex.NAME) ? TypeKeyIndex.NAME
					: h2IndexExists(H2_KEY_INDEX) ? H2_KEY_INDEX : null;
			hint = index == null ? "" : " USE INDEX (" + index + ")";
			keyOrderHint = hint;
		}
		return hint;
	}

	boolean isH2() {
		Boolean isH2 = h2;
		if (isH2 == null) {
			isH2 = jdbc.execute((ConnectionCallback<Boolean>) connection ->
					connection.getMetaData().getDatabaseProductName().equals("H2"));
			h2 = isH2;
		}
		return isH2;
	}

	private boolean h2IndexExists(String name) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'HFJ_RESOURCE'"
				+ " AND INDEX_NAME = ?", Integer.class, name) > 0;
	}
}
