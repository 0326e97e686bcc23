package hapibulk.export.job;

import hapibulk.export.job.StoredResource.StoredTag;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The tags, profiles and security labels of a page's resources, from HAPI's tag tables. */
class StoredTags {

	private static final String TAG_SQL = "SELECT t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE, d.TAG_DISPLAY,"
			+ " d.TAG_VERSION, d.TAG_USER_SELECTED FROM HFJ_RES_TAG t JOIN HFJ_TAG_DEF d ON d.TAG_ID = t.TAG_ID"
			+ " WHERE t.RES_ID IN (%s) ORDER BY t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE";

	/**
	 * Keys per tag query outside H2. With a page's thousands of keys PostgreSQL's planner scans all of
	 * HFJ_RES_TAG for every page (a cost that grows with the server); with a few hundred it looks them
	 * up in HAPI's (RES_ID, TAG_ID) index.
	 */
	private static final int TAG_KEYS_PER_QUERY = 500;

	private final JdbcTemplate jdbc;

	StoredTags(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	/** The tags by resource key; {@code h2} reads them in one query. */
	Map<Long, List<StoredTag>> read(Collection<Long> pids, boolean h2) {
		if (pids.isEmpty()) {
			return Map.of();
		}
		Map<Long, List<StoredTag>> tags = new HashMap<>();
		List<Long> keys = List.copyOf(pids);
		int perQuery = h2 ? keys.size() : TAG_KEYS_PER_QUERY;
		for (int from = 0; from < keys.size(); from += perQuery) {
			// The keys as literals, not parameters: H2 then tests each row against a hash set, where a
			// list of 1,000 parameters is compared one by one for every row (a tenth of an H2 export).
			String literals = keys.subList(from, Math.min(keys.size(), from + perQuery)).stream()
					.map(String::valueOf).collect(Collectors.joining(","));
			jdbc.query(String.format(TAG_SQL, literals), rs -> {
				Object userSelected = rs.getObject(7);
				tags.computeIfAbsent(rs.getLong(1), pid -> new ArrayList<>()).add(new StoredTag(rs.getInt(2),
						rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
						userSelected == null ? null : rs.getBoolean(7)));
			});
		}
		return tags;
	}
}
