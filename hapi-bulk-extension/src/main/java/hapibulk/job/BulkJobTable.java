package hapibulk.job;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Our own job table ({@code BULK_JOB}) over plain JDBC. One row per kick-off; small, indexed by
 * the public id, so a status poll is a single primary-key read.
 */
public class BulkJobTable {

	static final String TABLE = "BULK_JOB";

	private static final String COLUMNS = "JOB_ID, KIND, STATE, OWNER, REQUEST_URL, REQUEST_JSON, TRANSACTION_TIME,"
			+ " CREATED_AT, EXPIRES_AT, EXECUTION_ID, PROGRESS_DONE, PROGRESS_TOTAL, MANIFEST_JSON, ERROR_MESSAGE, SEPARATE_STATUS,"
			+ " PARTIAL_MANIFESTS, OUTPUT_ORGANIZED_BY, OWNER_PATIENT";
	/** What {@link #map} reads: the inserted columns, and those the job sets as it goes. */
	private static final String READ_COLUMNS = COLUMNS + ", STARTED_AT";

	private static final RowMapper<BulkJob> ROW_MAPPER = BulkJobTable::map;

	private final JdbcTemplate jdbc;
	/** The node whose rows this table inserts (see NodeLease); null where no node runs jobs (some tests). */
	private final String nodeId;
	private final Clock clock;
	private final BulkJobProgress typeProgress;

	public BulkJobTable(JdbcTemplate jdbc) {
		this(jdbc, null);
	}

	/** @param nodeId the node inserted rows are run by: the kick-off's node launches the job */
	public BulkJobTable(JdbcTemplate jdbc, String nodeId) {
		this(jdbc, nodeId, Clock.systemUTC());
	}

	/** @param clock stamps {@code FINISHED_AT} */
	public BulkJobTable(JdbcTemplate jdbc, String nodeId, Clock clock) {
		this.jdbc = jdbc;
		this.nodeId = nodeId;
		this.clock = clock;
		this.typeProgress = new BulkJobProgress(jdbc);
	}

	/** The progress per type of each job (what {@link #addProgress(String, String, long)} records). */
	public BulkJobProgress typeProgress() {
		return typeProgress;
	}

	/** A job with when it started and finished, for the administrators' job list. */
	public record Listed(BulkJob job, Instant startedAt, Instant finishedAt) {}

	/**
	 * A page of jobs, newest first, for administrators: every state (cancelled and deleted jobs too).
	 *
	 * @param states the states to show, or empty for all
	 * @param kind   the kind to show, or null for both
	 * @return up to {@code count + 1} jobs from {@code offset}; the extra one tells that a next page exists
	 */
	public List<Listed> list(List<BulkJobState> states, BulkJobKind kind, int offset, int count) {
		StringBuilder sql = new StringBuilder("SELECT " + READ_COLUMNS + ", FINISHED_AT FROM " + TABLE + " WHERE 1=1");
		List<Object> arguments = new ArrayList<>();
		if (!states.isEmpty()) {
			sql.append(" AND STATE IN (").append(String.join(",", states.stream().map(state -> "?").toList())).append(")");
			states.forEach(state -> arguments.add(state.name()));
		}
		if (kind != null) {
			sql.append(" AND KIND = ?");
			arguments.add(kind.name());
		}
		sql.append(" ORDER BY CREATED_AT DESC, JOB_ID LIMIT ? OFFSET ?");
		arguments.add(count + 1);
		arguments.add(offset);
		return jdbc.query(sql.toString(), (rs, row) -> new Listed(map(rs, row), instant(rs, "STARTED_AT"),
				instant(rs, "FINISHED_AT")), arguments.toArray());
	}

	/** One job in any state, with its times, for administrators. */
	public Optional<Listed> findListed(String id) {
		return jdbc.query("SELECT " + READ_COLUMNS + ", FINISHED_AT FROM " + TABLE + " WHERE JOB_ID = ?",
				(rs, row) -> new Listed(map(rs, row), instant(rs, "STARTED_AT"), instant(rs, "FINISHED_AT")), id)
				.stream().findFirst();
	}

	/** The template this table writes with: a gate locking rows in the same transaction uses it too. */
	JdbcTemplate jdbc() {
		return jdbc;
	}

	public void insert(BulkJob job) {
		jdbc.update("INSERT INTO " + TABLE + " (" + COLUMNS + ", NODE_ID) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				job.id(), job.kind().name(), job.state().name(), job.owner(), job.requestUrl(), job.requestJson(),
				millis(job.transactionTime()), millis(job.createdAt()), millis(job.expiresAt()), job.executionId(),
				job.progressDone(), job.progressTotal(), job.manifestJson(), job.errorMessage(),
				job.statusOptions().separateStatus(), job.statusOptions().partialManifests(),
				job.statusOptions().outputOrganizedBy(), job.ownerPatient(), nodeId);
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
		List<BulkJob> rows = jdbc.query("SELECT " + READ_COLUMNS + " FROM " + TABLE + " WHERE JOB_ID = ?", ROW_MAPPER, id);
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
		return jdbc.query("SELECT " + READ_COLUMNS + " FROM " + TABLE + " WHERE STATE IN (?, ?)", ROW_MAPPER,
				BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name());
	}

	/** A client's jobs that may still hold files (null: the jobs kicked off without authorization). */
	public List<BulkJob> findHoldingFiles(String owner) {
		String ownerTest = owner == null ? "OWNER IS NULL" : "OWNER = ?";
		Object[] arguments = owner == null
				? new Object[] {BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name(), BulkJobState.COMPLETED.name()}
				: new Object[] {BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name(), BulkJobState.COMPLETED.name(),
						owner};
		return jdbc.query("SELECT " + READ_COLUMNS + " FROM " + TABLE + " WHERE STATE IN (?, ?, ?) AND " + ownerTest,
				ROW_MAPPER, arguments);
	}

	/** Finished jobs whose files are past their expiry. */
	public List<BulkJob> findExpired(Instant now) {
		return jdbc.query("SELECT " + READ_COLUMNS + " FROM " + TABLE + " WHERE STATE IN (?, ?) AND EXPIRES_AT < ?", ROW_MAPPER,
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

	/** When the job's first execution started (a restart keeps the first start, so durations span both). */
	public void markStarted(String id, Instant startedAt) {
		jdbc.update("UPDATE " + TABLE + " SET STARTED_AT = ? WHERE JOB_ID = ? AND STARTED_AT IS NULL",
				startedAt.toEpochMilli(), id);
	}

	public void setProgressTotal(String id, long total) {
		jdbc.update("UPDATE " + TABLE + " SET PROGRESS_TOTAL = ? WHERE JOB_ID = ?", total, id);
	}

	/** An export's plan: the count of each type (or other part of the work); the job's total is their sum. */
	public void planTotals(String id, Map<String, Long> totals) {
		typeProgress.planCounted(id, totals);
		setProgressTotal(id, totals.values().stream().mapToLong(Long::longValue).sum());
	}

	/** Called inside a chunk's transaction, so progress commits (or rolls back) with the chunk. */
	public void addProgress(String id, long done) {
		jdbc.update("UPDATE " + TABLE + " SET PROGRESS_DONE = PROGRESS_DONE + ? WHERE JOB_ID = ?", done, id);
	}

	/** An import's plan: the inputs of each type (their lines are unknown until read, so the total stays 0). */
	public void planInputs(String id, Map<String, Integer> inputsPerType) {
		typeProgress.planInputs(id, inputsPerType);
	}

	/** An import input of this type was read to its end (inside the transaction of its last chunk). */
	public void inputRead(String id, String type) {
		typeProgress.inputRead(id, type);
	}

	/** {@link #addProgress(String, long)}, also counted for the type (inside the chunk's transaction too). */
	public void addProgress(String id, String type, long done) {
		addProgress(id, done);
		typeProgress.add(id, type, done);
	}

	/**
	 * A completed job is all done: an export's planned total, or, for an import (whose total is unknown until its
	 * inputs are read, so 0 until now), the lines it handled. Setting done to a total of 0 was the "0 of 0" of
	 * finished imports.
	 */
	public boolean complete(String id, String manifestJson, Instant expiresAt) {
		String finalCount = "CASE WHEN PROGRESS_TOTAL > 0 THEN PROGRESS_TOTAL ELSE PROGRESS_DONE END";
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, MANIFEST_JSON = ?, EXPIRES_AT = ?, PROGRESS_DONE = "
						+ finalCount + ", PROGRESS_TOTAL = " + finalCount + ", FINISHED_AT = ? WHERE JOB_ID = ? AND STATE IN (?, ?)",
				BulkJobState.COMPLETED.name(), manifestJson, millis(expiresAt), clock.millis(), id,
				BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name()) == 1;
	}

	public boolean fail(String id, String message) {
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, ERROR_MESSAGE = ?, FINISHED_AT = ? WHERE JOB_ID = ?"
						+ " AND STATE IN (?, ?)", BulkJobState.FAILED.name(), truncate(message), clock.millis(), id,
				BulkJobState.ACCEPTED.name(), BulkJobState.RUNNING.name()) == 1;
	}

	/** Marks a job cancelled or deleted, whatever it was doing (a finished job keeps when it finished). */
	public void end(String id, BulkJobState state) {
		jdbc.update("UPDATE " + TABLE + " SET STATE = ?, FINISHED_AT = COALESCE(FINISHED_AT, ?) WHERE JOB_ID = ?",
				state.name(), clock.millis(), id);
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
						rs.getString("OUTPUT_ORGANIZED_BY")),
				instant(rs, "STARTED_AT"),
				rs.getString("OWNER_PATIENT"));
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
