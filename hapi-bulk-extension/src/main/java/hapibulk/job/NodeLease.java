package hapibulk.job;

import hapibulk.support.BulkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * This node's lease in {@code BULK_NODE}: registered when the bean is made (before this node can insert a
 * job row that names it), renewed by a heartbeat every third of the lease, kept until the process ends.
 * A job row names the node that runs it ({@code BULK_JOB.NODE_ID}); a node takes a job over only through
 * {@link #claim}, which wins only where that node's lease has expired, its row is gone, or it is this node
 * itself (a restart with the same id), and which a single conditional UPDATE decides, so of two nodes
 * racing for one job exactly one wins.
 * <p>
 * Every time is the database's ({@code CURRENT_TIMESTAMP}), never a node's clock: nodes whose clocks
 * disagree still agree on whose lease has expired.
 */
public class NodeLease extends PeriodicTask {

	static final String TABLE = "BULK_NODE";
	/** The longest node id: the width of the NODE_ID columns of the lease, job and claim tables. */
	public static final int MAX_NODE_ID_LENGTH = 200;
	private static final Logger LOG = LoggerFactory.getLogger(NodeLease.class);
	/** Leases expired this long ago are deleted: a missing lease counts as expired anyway. */
	private static final Duration FORGET_AFTER = Duration.ofDays(1);

	private final JdbcTemplate jdbc;
	private final String nodeId;
	private final Duration leaseDuration;
	/** Tells this process from another one started with the same node id. */
	private final String incarnation = UUID.randomUUID().toString();
	private OffsetDateTime expiresAt;

	public NodeLease(JdbcTemplate jdbc, String nodeId, Duration leaseDuration) {
		super("bulk-node-heartbeat", leaseDuration.dividedBy(3));
		this.jdbc = jdbc;
		this.nodeId = nodeId;
		this.leaseDuration = leaseDuration;
		register();
	}

	static String createTableSql() {
		return "CREATE TABLE IF NOT EXISTS " + TABLE + " (NODE_ID VARCHAR(" + MAX_NODE_ID_LENGTH
				+ ") NOT NULL PRIMARY KEY, INCARNATION VARCHAR(36) NOT NULL, STARTED_AT TIMESTAMP WITH TIME ZONE NOT NULL,"
				+ " HEARTBEAT_AT TIMESTAMP WITH TIME ZONE NOT NULL, EXPIRES_AT TIMESTAMP WITH TIME ZONE NOT NULL)";
	}

	public String nodeId() {
		return nodeId;
	}

	public Duration leaseDuration() {
		return leaseDuration;
	}

	/** This process's registration: a claim made under another incarnation of the same node id is void. */
	String incarnation() {
		return incarnation;
	}

	/** Whether the node holds a lease that has not expired (by the database's clock). */
	public boolean isLive(String node) {
		Integer live = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE + " WHERE NODE_ID = ? AND EXPIRES_AT >"
				+ " CURRENT_TIMESTAMP", Integer.class, node);
		return live != null && live > 0;
	}

	/**
	 * Makes this node the one that runs the job, if the node named on its row is gone: its lease expired or
	 * missing, no node named (a row from before leases), or this node itself. A live node's job is never
	 * taken; of several nodes claiming one job at once, exactly one gets true.
	 */
	public boolean claim(String jobId) {
		try {
			return jdbc.update("UPDATE " + BulkJobTable.TABLE + " SET NODE_ID = ? WHERE JOB_ID = ? AND (NODE_ID IS NULL"
					+ " OR NODE_ID = ? OR NOT EXISTS (SELECT 1 FROM " + TABLE + " WHERE " + TABLE + ".NODE_ID = "
					+ BulkJobTable.TABLE + ".NODE_ID AND " + TABLE + ".EXPIRES_AT > CURRENT_TIMESTAMP))",
					nodeId, jobId, nodeId) == 1;
		} catch (ConcurrencyFailureException raced) {
			// Another node updated the row at the same moment (H2 may refuse the second update): it won.
			return false;
		}
	}

	/** Renews the lease now; the heartbeat calls it every third of the lease. */
	public synchronized void renew() {
		OffsetDateTime now = databaseNow();
		int renewed = jdbc.update("UPDATE " + TABLE + " SET HEARTBEAT_AT = ?, EXPIRES_AT = ? WHERE NODE_ID = ?"
				+ " AND INCARNATION = ?", now, now.plus(leaseDuration), nodeId, incarnation);
		if (renewed == 0) {
			List<String> holder = jdbc.queryForList("SELECT INCARNATION FROM " + TABLE + " WHERE NODE_ID = ?",
					String.class, nodeId);
			if (!holder.isEmpty()) {
				LOG.error("{}Another running process registered node id {}: both may take each other's jobs for"
						+ " their own. Give every node its own hapi.bulk.cluster.node-id (or leave it unset).",
						BulkErrors.code(652), nodeId);
				return;
			}
			register();
			return;
		}
		if (expiresAt != null && now.isAfter(expiresAt)) {
			LOG.warn("{}The lease of node {} expired {} before this heartbeat: other nodes may have taken its jobs"
					+ " over meanwhile", BulkErrors.code(653), nodeId, Duration.between(expiresAt, now));
		}
		expiresAt = now.plus(leaseDuration);
	}

	/** Deletes leases long expired (a node started with a generated id leaves one behind when it stops). */
	public int forgetLongExpired() {
		return jdbc.update("DELETE FROM " + TABLE + " WHERE EXPIRES_AT < ? AND NODE_ID <> ?",
				databaseNow().minus(FORGET_AFTER), nodeId);
	}

	private synchronized void register() {
		OffsetDateTime now = databaseNow();
		Object[] values = {incarnation, now, now, now.plus(leaseDuration), nodeId};
		String update = "UPDATE " + TABLE + " SET INCARNATION = ?, STARTED_AT = ?, HEARTBEAT_AT = ?, EXPIRES_AT = ?"
				+ " WHERE NODE_ID = ?";
		if (jdbc.update(update, values) == 0) {
			try {
				jdbc.update("INSERT INTO " + TABLE + " (INCARNATION, STARTED_AT, HEARTBEAT_AT, EXPIRES_AT, NODE_ID)"
						+ " VALUES (?, ?, ?, ?, ?)", values);
			} catch (DuplicateKeyException raced) {
				jdbc.update(update, values);
			}
		}
		expiresAt = now.plus(leaseDuration);
		LOG.info("Bulk node {} holds a lease of {}", nodeId, leaseDuration);
	}

	private OffsetDateTime databaseNow() {
		return jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class);
	}

	/** Renews at once (the context may have taken longer to start than the lease), then every third of it. */
	@Override
	public void start() {
		runOnce();
		super.start();
	}

	@Override
	protected void runOnce() {
		try {
			renew();
			forgetLongExpired();
		} catch (RuntimeException e) {
			// The database may be away; the lease lasts two more heartbeats.
			LOG.warn("Renewing the lease of bulk node {} failed; will retry: {}", nodeId, e.toString());
		}
	}

	/** Starts before and stops after everything that runs jobs (the web server, the watchdog). */
	@Override
	public int getPhase() {
		return Integer.MIN_VALUE / 2;
	}
}
