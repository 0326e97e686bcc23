package hapibulk.job;

import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which node runs each partition taken from the cluster's queue ({@code BULK_PARTITION_CLAIM}, one row per step
 * execution). A partition request may reach a second node while the first still runs it (RabbitMQ hands out a
 * request again when a consumer's connection breaks, and anyone who can publish to the queue can send one): a node
 * runs a partition only after claiming it here, and a claim is taken from another node only once that node's lease
 * has expired (or the node restarted: its claims belong to an incarnation that no longer holds the lease), so a
 * dead node's partition is still resumed by another, and a live node's never runs twice.
 * <p>
 * Each change is one conditional statement (an insert on the key, or an update that names the holder it replaces),
 * so of two nodes claiming at once exactly one wins, on any database. Times are the database's.
 */
public class PartitionClaims {

	static final String TABLE = "BULK_PARTITION_CLAIM";

	private final JdbcTemplate jdbc;
	private final NodeLease lease;

	public PartitionClaims(JdbcTemplate jdbc, NodeLease lease) {
		this.jdbc = jdbc;
		this.lease = lease;
	}

	static String createTableSql() {
		return "CREATE TABLE IF NOT EXISTS " + TABLE + " (STEP_EXECUTION_ID BIGINT NOT NULL PRIMARY KEY, NODE_ID VARCHAR("
				+ NodeLease.MAX_NODE_ID_LENGTH + ") NOT NULL, INCARNATION VARCHAR(36) NOT NULL,"
				+ " CLAIMED_AT TIMESTAMP WITH TIME ZONE NOT NULL)";
	}

	/** The node that holds the partition's claim, if any (live or not). */
	public Optional<String> holder(long stepExecutionId) {
		return jdbc.queryForList("SELECT NODE_ID FROM " + TABLE + " WHERE STEP_EXECUTION_ID = ?", String.class,
				stepExecutionId).stream().findFirst();
	}

	/**
	 * Makes this node the one that runs the partition: true if nobody held it, or its holder's lease has expired
	 * or belongs to an earlier process of that node id. False while a live process holds it, this one included
	 * (a second request for a partition this process already runs).
	 */
	public boolean claim(long stepExecutionId) {
		try {
			try {
				return jdbc.update("INSERT INTO " + TABLE + " (STEP_EXECUTION_ID, NODE_ID, INCARNATION, CLAIMED_AT)"
						+ " VALUES (?, ?, ?, CURRENT_TIMESTAMP)", stepExecutionId, lease.nodeId(), lease.incarnation()) == 1;
			} catch (DuplicateKeyException held) {
				return takeOver(stepExecutionId);
			}
		} catch (ConcurrencyFailureException raced) {
			// Another node changed the row at the same moment (H2 may refuse the second statement): it won.
			return false;
		}
	}

	private boolean takeOver(long stepExecutionId) {
		List<Map<String, Object>> rows = jdbc.queryForList("SELECT NODE_ID, INCARNATION FROM " + TABLE
				+ " WHERE STEP_EXECUTION_ID = ?", stepExecutionId);
		if (rows.isEmpty()) {
			// released meanwhile: try again from the start (once; a further race is lost)
			try {
				return jdbc.update("INSERT INTO " + TABLE + " (STEP_EXECUTION_ID, NODE_ID, INCARNATION, CLAIMED_AT)"
						+ " VALUES (?, ?, ?, CURRENT_TIMESTAMP)", stepExecutionId, lease.nodeId(),
						lease.incarnation()) == 1;
			} catch (DuplicateKeyException raced) {
				return false;
			}
		}
		String node = (String) rows.get(0).get("NODE_ID");
		String incarnation = (String) rows.get(0).get("INCARNATION");
		if (holdsLease(node, incarnation)) {
			return false;
		}
		return jdbc.update("UPDATE " + TABLE + " SET NODE_ID = ?, INCARNATION = ?, CLAIMED_AT = CURRENT_TIMESTAMP"
				+ " WHERE STEP_EXECUTION_ID = ? AND NODE_ID = ? AND INCARNATION = ?", lease.nodeId(),
				lease.incarnation(), stepExecutionId, node, incarnation) == 1;
	}

	/** Whether that process of the node still holds a lease that has not expired (by the database's clock). */
	private boolean holdsLease(String node, String incarnation) {
		Integer live = jdbc.queryForObject("SELECT COUNT(*) FROM " + NodeLease.TABLE + " WHERE NODE_ID = ? AND"
				+ " INCARNATION = ? AND EXPIRES_AT > CURRENT_TIMESTAMP", Integer.class, node, incarnation);
		return live != null && live > 0;
	}

	/**
	 * Gives the partition up (it ended here, or was handed back), and forgets claims of processes that no longer
	 * hold a lease row at all (long gone; such claims are void anyway).
	 */
	public void release(long stepExecutionId) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE STEP_EXECUTION_ID = ? AND NODE_ID = ? AND INCARNATION = ?",
				stepExecutionId, lease.nodeId(), lease.incarnation());
		jdbc.update("DELETE FROM " + TABLE + " WHERE NOT EXISTS (SELECT 1 FROM " + NodeLease.TABLE + " WHERE "
				+ NodeLease.TABLE + ".NODE_ID = " + TABLE + ".NODE_ID AND " + NodeLease.TABLE + ".INCARNATION = "
				+ TABLE + ".INCARNATION)");
	}
}
