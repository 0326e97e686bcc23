package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import hapibulk.export.job.StoredResource.StoredTag;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads current resources straight from HAPI's tables (HAPI 8.8 schema): the one place that knows
 * HAPI's storage layout. Pages by resource key (keyset, never OFFSET), bounded by rows and bytes.
 * Resources HAPI stores in any other form than plain JSON text are read through HAPI's DAO.
 * {@code StoredResourceReaderTest} checks the result against HAPI's own read.
 */
public class StoredResourceReader {

	private static final String PAGE_SQL = "SELECT r.RES_ID, r.FHIR_ID, r.RES_VER, r.HAS_TAGS, v.RES_UPDATED,"
			+ " v.RES_ENCODING, v.RES_TEXT_VC, v.SOURCE_URI, v.REQUEST_ID"
			+ " FROM HFJ_RESOURCE r JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER"
			+ " WHERE r.RES_TYPE = ? AND r.RES_ID > ? AND r.RES_DELETED_AT IS NULL%s"
			+ " ORDER BY r.RES_ID FETCH FIRST %d ROWS ONLY";

	private static final String TAG_SQL = "SELECT t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE, d.TAG_DISPLAY,"
			+ " d.TAG_VERSION, d.TAG_USER_SELECTED FROM HFJ_RES_TAG t JOIN HFJ_TAG_DEF d ON d.TAG_ID = t.TAG_ID"
			+ " WHERE t.RES_ID IN (%s) ORDER BY t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE";

	private final JdbcTemplate jdbc;
	private final DaoRegistry daoRegistry;
	private final FhirContext fhirContext;

	public StoredResourceReader(JdbcTemplate jdbc, DaoRegistry daoRegistry, FhirContext fhirContext) {
		this.jdbc = jdbc;
		this.daoRegistry = daoRegistry;
		this.fhirContext = fhirContext;
	}

	/** One page of resources and whether another may follow. */
	public record Page(List<StoredResource> resources, boolean more) {}

	/** Current, non-deleted resources per type, optionally only those updated after {@code sinceMillis}. */
	public Map<String, Long> countByType(Long sinceMillis) {
		Map<String, Long> counts = new TreeMap<>();
		String sql = "SELECT RES_TYPE, COUNT(*) FROM HFJ_RESOURCE WHERE RES_DELETED_AT IS NULL"
				+ (sinceMillis == null ? "" : " AND RES_UPDATED > ?") + " GROUP BY RES_TYPE";
		Object[] args = sinceMillis == null ? new Object[0] : new Object[] {new Timestamp(sinceMillis)};
		jdbc.query(sql, rs -> {
			counts.put(rs.getString(1), rs.getLong(2));
		}, args);
		return counts;
	}

	/**
	 * The next resources of {@code type} after key {@code afterPid}: at most {@code maxRows}, and no
	 * more once {@code maxBytes} of stored text were read (at least one row, however large).
	 */
	public Page readPage(String type, long afterPid, Long sinceMillis, int maxRows, long maxBytes) {
		String sql = String.format(PAGE_SQL, sinceMillis == null ? "" : " AND r.RES_UPDATED > ?", maxRows);
		List<Object> args = new ArrayList<>(List.of(type, afterPid));
		if (sinceMillis != null) {
			args.add(new Timestamp(sinceMillis));
		}
		List<Row> rows = new ArrayList<>();
		long[] bytes = {0};
		boolean[] cutShort = {false};
		jdbc.query(con -> {
			var statement = con.prepareStatement(sql);
			statement.setFetchSize(Math.min(maxRows, 500));
			for (int i = 0; i < args.size(); i++) {
				statement.setObject(i + 1, args.get(i));
			}
			return statement;
		}, rs -> {
			if (cutShort[0]) {
				return;
			}
			Row row = Row.of(rs);
			rows.add(row);
			bytes[0] += row.text == null ? 0 : row.text.length();
			if (bytes[0] >= maxBytes) {
				cutShort[0] = true;
			}
		});
		Map<Long, List<StoredTag>> tags = readTags(rows.stream().filter(r -> r.hasTags).map(r -> r.pid).toList());
		List<StoredResource> resources = new ArrayList<>(rows.size());
		for (Row row : rows) {
			resources.add(row.isPlainJson() ? row.toResource(type, tags.getOrDefault(row.pid, List.of()))
					: readThroughHapi(type, row));
		}
		return new Page(resources, cutShort[0] || rows.size() == maxRows);
	}

	private Map<Long, List<StoredTag>> readTags(Collection<Long> pids) {
		if (pids.isEmpty()) {
			return Map.of();
		}
		Map<Long, List<StoredTag>> tags = new HashMap<>();
		String sql = String.format(TAG_SQL, String.join(",", Collections.nCopies(pids.size(), "?")));
		jdbc.query(sql, rs -> {
			Object userSelected = rs.getObject(7);
			tags.computeIfAbsent(rs.getLong(1), pid -> new ArrayList<>()).add(new StoredTag(rs.getInt(2),
					rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
					userSelected == null ? null : rs.getBoolean(7)));
		}, pids.toArray());
		return tags;
	}

	/** Compressed, externalised or otherwise unusual storage: let HAPI decode it. */
	private StoredResource readThroughHapi(String type, Row row) {
		IBaseResource resource = daoRegistry.getResourceDao(type).readByPid(JpaPid.fromId(row.pid));
		String json = fhirContext.newJsonParser().encodeResourceToString(resource);
		return new StoredResource(row.pid, type, row.fhirId, row.version, row.updated, null, List.of(), json, true);
	}

	private record Row(long pid, String fhirId, long version, boolean hasTags, Timestamp updated, String encoding,
			String text, String sourceUri, String requestId) {

		static Row of(ResultSet rs) throws SQLException {
			long pid = rs.getLong("RES_ID");
			String fhirId = rs.getString("FHIR_ID");
			return new Row(pid, fhirId == null ? Long.toString(pid) : fhirId, rs.getLong("RES_VER"),
					rs.getBoolean("HAS_TAGS"), rs.getTimestamp("RES_UPDATED"), rs.getString("RES_ENCODING"),
					rs.getString("RES_TEXT_VC"), rs.getString("SOURCE_URI"), rs.getString("REQUEST_ID"));
		}

		boolean isPlainJson() {
			return "JSON".equals(encoding) && text != null;
		}

		StoredResource toResource(String type, List<StoredTag> tags) {
			return new StoredResource(pid, type, fhirId, version, new java.util.Date(updated.getTime()), source(), tags,
					text, false);
		}

		/** {@code meta.source} as HAPI composes it from the source URI and the request id. */
		private String source() {
			if (sourceUri == null && requestId == null) {
				return null;
			}
			return (sourceUri == null ? "" : sourceUri) + (requestId == null ? "" : "#" + requestId);
		}
	}
}
