package hapibulk.job;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Our own job table ({@code BULK_JOB}) over plain JDBC. One row per kick-off; small, indexed by
 * the public id, so a status poll is a single primary-key read.
 */
public class BulkJobTable {

	static final String TABLE = "BULK_JOB";

	private static final String COLUMNS = "JOB_ID, KIND, STATE, OWNER, REQUEST_URL, REQUEST_JSON, TRANSACTION_TIME,"
			+ " CREATED_AT, EXPIRES_AT, EXECUTION_ID, PROGRESS_DONE, PROGRESS_TOTAL, MANIFEST_JSON, ERROR_MESSAGE, SEPARATE_STATUS,"
			+ " PARTIAL_MANIFESTS, OUTPUT_ORGANIZED_BY";

	private static final RowMapper<BulkJob> ROW_MAPPER = BulkJobTable::map;

	private final JdbcTemplate jdbc;
	/** The node whose rows this table inserts (see NodeLease); null where no node runs jobs (some tests). */
	private final String nodeId;

	public BulkJobTable(JdbcTemplate jdbc) {
		this(jdbc, null);
	}

	/** @param nodeId the node inserted rows are run by: the kick-off's node launches the job */
	public BulkJobTable(JdbcTemplate jdbc, String nodeId) {
		this.jdbc = jdbc;
		this.nodeId = nodeId;
	}

	public void insert(BulkJob job) {
		jdbc.update("INSERT INTO " + TABLE + " (" + COLUMNS + ", NODE_ID) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				job.id(), job.kind().name(), job.state().name(), job.owner(), job.requestUrl(), job.requestJson(),
				millis(job.transactionTime()), millis(job.createdAt()), millis(job.expiresAt()), job.executionId(),
				job.progressDone(), job.progressTotal(), job.manifestJson(), job.errorMessage(),
				job.statusOptions().separateStatus(), job.statusOptions().partialManifests(),
				job.statusOptions().outputOrganizedBy(), nodeId);
	}

	/**
	 * Whether another node has taken the job over from this one (its lease had expired): what this node's
	 * executions of it still do must then leave the row and the files alone.
	 */
	public boolean takenOverByAnotherNode(String id) {
		if (nodeId == null) {
			return false;
		}
		List<String> runner = jdbc.queryForList("SELECT NODE_ID FROM " + TABLE + " WHERE JOB_ID = ?", String.class, id);
		return !runner.isEmpty() && runner.get(0) != null && !runner.get(0).equals(nodeId);
	}

	public Optional<BulkJob> find(String id) {
		List<BulkJob> rows = jdbc.query("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE JOB_ID = ?", ROW_MAPPER, id);
		return rows.stream().findFirst();
	}

	/** Jobs of a kind that are queued or running. */
	public int countActive(BulkJobKind kind) {
		Integer count = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE + " WHERE KIND = ? AND STATE IN (?, ?)",
				Integer.class, kind.name(), BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name());
		return count == null ? 0 : count;
	}

	/** Jobs queued or running, as far as the table knows: what the watchdog checks against Spring Batch. */
	public List<BulkJob> findActive() {
		return jdbc.query("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE STATE IN (?, ?)", ROW_MAPPER,
				BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name());
	}

	/** The ids of a client's jobs that may still hold files (null: the jobs kicked off without authorization). */
	public List<String> findHoldingFiles(String owner) {
		String ownerTest = owner == null ? "OWNER IS NULL" : "OWNER = ?";
		Object[] arguments = owner == null
				? new Object[] {BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name(), BulkJobState.COMPLETED.name()}
				: new Object[] {BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name(), BulkJobState.COMPLETED.name(),
						owner};
		return jdbc.queryForList("SELECT JOB_ID FROM " + TABLE + " WHERE STATE IN (?, ?, ?) AND " + ownerTest,
				String.class, arguments);
	}

	/** Finished jobs whose files are past their expiry. */
	public List<BulkJob> findExpired(Instant now) {
		return jdbc.query("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE STATE IN (?, ?) AND EXPIRES_AT < ?", ROW_MAPPER,
				BulkJobState.COMPLETED.name(), BulkJobState.FAILED.name(), now.toEpochMilli());
	}

	public void setExecution(String id, long executionId) {
		jdbc.update("UPDATE " + TABLE + " SET EXECUTION_ID = ? WHERE JOB_ID = ?", executionId, id);
	}

	/** Moves a job on, but only from a state it may leave: a cancelled job is never revived. */
	public boolean transition(String id, BulkJobState from, BulkJobState to) {
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ? WHERE JOB_ID = ? AND STATE = ?",
				to.name(), id, from.name()) == 1;
	}

	public void setProgressTotal(String id, long total) {
		jdbc.update("UPDATE " + TABLE + " SET PROGRESS_TOTAL = ? WHERE JOB_ID = ?", total, id);
	}

	/** Called inside a chunk's transaction, so progress commits (or rolls back) with the chunk. */
	public void addProgress(String id, long done) {
		jdbc.update("UPDATE " + TABLE + " SET PROGRESS_DONE = PROGRESS_DONE + ? WHERE JOB_ID = ?", done, id);
	}

	public boolean complete(String id, String manifestJson, Instant expiresAt) {
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, MANIFEST_JSON = ?, EXPIRES_AT = ?, PROGRESS_DONE = PROGRESS_TOTAL"
						+ " WHERE JOB_ID = ? AND STATE IN (?, ?)", BulkJobState.COMPLETED.name(), manifestJson,
				millis(expiresAt), id, BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name()) == 1;
	}

	public boolean fail(String id, String message) {
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, ERROR_MESSAGE = ? WHERE JOB_ID = ? AND STATE IN (?, ?)",
				BulkJobState.FAILED.name(), truncate(message), id, BulkJobState.ACCEPTED.name(),
				BulkJobState.RUNNING.name()) == 1;
	}

	/** Marks a job cancelled or deleted, whatever it was doing. */
	public void end(String id, BulkJobState state) {
		jdbc.update("UPDATE " + TABLE + " SET STATE = ? WHERE JOB_ID = ?", state.name(), id);
	}

	private static BulkJob map(ResultSet rs, int row) throws SQLException {
		return new BulkJob(
				rs.getString("JOB_ID"),
				BulkJobKind.valueOf(rs.getString("KIND")),
				BulkJobState.valueOf(rs.getString("STATE")),
				rs.getString("OWNER"),
				rs.getString("REQUEST_URL"),
				rs.getString("REQUEST_JSON"),
				instant(rs, "TRANSACTION_TIME"),
				instant(rs, "CREATED_AT"),
				instant(rs, "EXPIRES_AT"),
				nullableLong(rs, "EXECUTION_ID"),
				rs.getLong("PROGRESS_DONE"),
				rs.getLong("PROGRESS_TOTAL"),
				rs.getString("MANIFEST_JSON"),
				rs.getString("ERROR_MESSAGE"),
				new StatusOptions(rs.getBoolean("SEPARATE_STATUS"), rs.getBoolean("PARTIAL_MANIFESTS"),
						rs.getString("OUTPUT_ORGANIZED_BY")));
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		Long value = nullableLong(rs, column);
		return value == null ? null : Instant.ofEpochMilli(value);
	}

	private static Long nullableLong(ResultSet rs, String column) throws SQLException {
		long value = rs.getLong(column);
		return rs.wasNull() ? null : value;
	}

	private static Long millis(Instant instant) {
		return instant == null ? null : instant.toEpochMilli();
	}

	private static String truncate(String message) {
		return message != null && message.length() > 4000 ? message.substring(0, 4000) : message;
	}
}
