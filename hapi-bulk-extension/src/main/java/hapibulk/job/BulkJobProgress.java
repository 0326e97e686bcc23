package hapibulk.job;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Progress per resource type of each job ({@code BULK_JOB_PROGRESS}): what the job row's single
 * done/total is the sum of. Counts only, never an estimate:
 * <ul>
 * <li>an export's plan counts each type before it starts, so its totals are known from the start;</li>
 * <li>an import cannot know how many lines an input holds before it has read it: a type's total stays
 * unknown (null) until every input of that type has been read to its end, and is then its lines.</li>
 * </ul>
 * Written inside the chunk transactions that do the work, so it commits and rolls back with them.
 */
public class BulkJobProgress {

	static final String TABLE = "BULK_JOB_PROGRESS";

	/**
	 * One type's progress.
	 *
	 * @param type  a resource type, or a name in brackets for work that is not one type's
	 *              ({@code (deleted)}, {@code (patient blocks)})
	 * @param total null while unknown (an import type with inputs not yet read to their end)
	 */
	public record TypeProgress(String type, long done, Long total) {}

	private final JdbcTemplate jdbc;

	public BulkJobProgress(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	static String createTableSql() {
		return "CREATE TABLE IF NOT EXISTS " + TABLE + " (JOB_ID VARCHAR(64) NOT NULL, RES_TYPE VARCHAR(100) NOT NULL,"
				+ " DONE BIGINT NOT NULL, TOTAL BIGINT, PARTS INTEGER NOT NULL, PARTS_DONE INTEGER NOT NULL,"
				+ " PRIMARY KEY (JOB_ID, RES_TYPE))";
	}

	/** An export's plan: each type's count, known before any is written. Replaces an earlier plan of the job. */
	public void planCounted(String jobId, Map<String, Long> totals) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE JOB_ID = ?", jobId);
		totals.forEach((type, total) -> jdbc.update("INSERT INTO " + TABLE
				+ " (JOB_ID, RES_TYPE, DONE, TOTAL, PARTS, PARTS_DONE) VALUES (?, ?, 0, ?, 1, 1)", jobId, type, total));
	}

	/** An import's plan: how many inputs each type has; totals unknown until they are read. */
	public void planInputs(String jobId, Map<String, Integer> inputsPerType) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE JOB_ID = ?", jobId);
		inputsPerType.forEach((type, inputs) -> jdbc.update("INSERT INTO " + TABLE
				+ " (JOB_ID, RES_TYPE, DONE, TOTAL, PARTS, PARTS_DONE) VALUES (?, ?, 0, NULL, ?, 0)", jobId, type, inputs));
	}

	public void add(String jobId, String type, long done) {
		if (done != 0) {
			jdbc.update("UPDATE " + TABLE + " SET DONE = DONE + ? WHERE JOB_ID = ? AND RES_TYPE = ?", done, jobId, type);
		}
	}

	/**
	 * An import input of this type was read to its end; with the type's last input its total becomes its lines.
	 * (A partition that finishes again after a crash between this and its step's commit is not counted twice:
	 * parts done never passes parts.)
	 */
	public void inputRead(String jobId, String type) {
		jdbc.update("UPDATE " + TABLE + " SET PARTS_DONE = PARTS_DONE + 1,"
				+ " TOTAL = CASE WHEN PARTS_DONE + 1 >= PARTS THEN DONE ELSE NULL END"
				+ " WHERE JOB_ID = ? AND RES_TYPE = ? AND PARTS_DONE < PARTS", jobId, type);
	}

	public List<TypeProgress> find(String jobId) {
		return findAll(List.of(jobId)).getOrDefault(jobId, List.of());
	}

	/** The progress of several jobs at once, by job id, types in name order. */
	public Map<String, List<TypeProgress>> findAll(Collection<String> jobIds) {
		Map<String, List<TypeProgress>> result = new LinkedHashMap<>();
		if (jobIds.isEmpty()) {
			return result;
		}
		new NamedParameterJdbcTemplate(jdbc).query("SELECT JOB_ID, RES_TYPE, DONE, TOTAL FROM " + TABLE
						+ " WHERE JOB_ID IN (:ids) ORDER BY JOB_ID, RES_TYPE", new MapSqlParameterSource("ids", jobIds),
				rs -> {
					long total = rs.getLong("TOTAL");
					Long knownTotal = rs.wasNull() ? null : total;
					result.computeIfAbsent(rs.getString("JOB_ID"), id -> new ArrayList<>())
							.add(new TypeProgress(rs.getString("RES_TYPE"), rs.getLong("DONE"), knownTotal));
				});
		return result;
	}
}
