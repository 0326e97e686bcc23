package hapibulk.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the nodes' shared database says, read with plain JDBC as an operator would: which node runs a job
 * ({@code BULK_JOB.NODE_ID}), its Spring Batch executions and steps, and the nodes' leases ({@code BULK_NODE}).
 */
final class ClusterJobRepository implements AutoCloseable {

	/**
	 * One connection, held from the start: PostgreSQL's 100 connections are shared with other tests' servers,
	 * and a check that cannot connect midway would fail the scenario for nothing.
	 */
	private final Connection connection;

	ClusterJobRepository(ItDatabase database) {
		try {
			this.connection = DriverManager.getConnection(database.url(), database.user(), "");
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot connect to " + database.url(), e);
		}
	}

	@Override
	public void close() throws SQLException {
		connection.close();
	}

	/** The node that runs (or ran) the job. */
	String runningNode(String jobId) {
		List<String> nodes = strings("SELECT NODE_ID FROM BULK_JOB WHERE JOB_ID = ?", jobId);
		return nodes.isEmpty() ? null : nodes.get(0);
	}

	/** The incarnation of a node's lease (new at every start of the node), or null before its first start. */
	String leaseIncarnation(String nodeId) {
		List<String> incarnations = strings("SELECT INCARNATION FROM BULK_NODE WHERE NODE_ID = ?", nodeId);
		return incarnations.isEmpty() ? null : incarnations.get(0);
	}

	/** The job's Spring Batch executions, oldest first, each as "id:status". */
	List<String> executions(String jobId) {
		return strings("SELECT e.JOB_EXECUTION_ID || ':' || e.STATUS FROM BATCH_JOB_EXECUTION e"
				+ " JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = e.JOB_EXECUTION_ID"
				+ " WHERE p.PARAMETER_NAME = 'bulkJobId' AND p.PARAMETER_VALUE = ? ORDER BY e.JOB_EXECUTION_ID", jobId);
	}

	/** Step executions of the job (any execution) in a running state, as "step:status". */
	List<String> runningSteps(String jobId) {
		return strings("SELECT s.STEP_NAME || ':' || s.STATUS FROM BATCH_STEP_EXECUTION s"
				+ " JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = s.JOB_EXECUTION_ID"
				+ " WHERE p.PARAMETER_NAME = 'bulkJobId' AND p.PARAMETER_VALUE = ?"
				+ " AND s.STATUS IN ('STARTING', 'STARTED', 'STOPPING')", jobId);
	}

	/**
	 * The job's partitions a node runs now, as "step:id": step executions Spring Batch has STARTED whose claim
	 * ({@code BULK_PARTITION_CLAIM}) that node holds. A worker claims a partition before running it and gives the
	 * claim up when it ends, so a live node holds one only while it runs it; a killed node's claims stay until
	 * another node takes them over, after the dead node's lease has expired. (Spring Batch's own record of the node,
	 * in the partition's execution context, is serialized Java, not readable in SQL.)
	 */
	List<String> partitionsRunningOn(String jobId, String nodeId) {
		return strings("SELECT s.STEP_NAME || ':' || s.STEP_EXECUTION_ID FROM BATCH_STEP_EXECUTION s"
				+ " JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = s.JOB_EXECUTION_ID"
				+ " JOIN BULK_PARTITION_CLAIM c ON c.STEP_EXECUTION_ID = s.STEP_EXECUTION_ID"
				+ " WHERE p.PARAMETER_NAME = 'bulkJobId' AND p.PARAMETER_VALUE = ? AND s.STATUS = 'STARTED'"
				+ " AND c.NODE_ID = ? ORDER BY s.STEP_EXECUTION_ID", jobId, nodeId);
	}

	/** Step executions of the job (any execution) that ended FAILED, as "step:exit message". */
	List<String> failedSteps(String jobId) {
		return strings("SELECT s.STEP_NAME || ': ' || COALESCE(s.EXIT_MESSAGE, '') FROM BATCH_STEP_EXECUTION s"
				+ " JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = s.JOB_EXECUTION_ID"
				+ " WHERE p.PARAMETER_NAME = 'bulkJobId' AND p.PARAMETER_VALUE = ? AND s.STATUS = 'FAILED'", jobId);
	}

	/** Moves the job's expiry into the past, as if its retention had run out: the nodes' sweeper deletes it next. */
	void expireNow(String jobId) {
		try (PreparedStatement statement = connection.prepareStatement(
				"UPDATE BULK_JOB SET EXPIRES_AT = ? WHERE JOB_ID = ?")) {
			statement.setLong(1, System.currentTimeMillis() - 60_000);
			statement.setString(2, jobId);
			if (statement.executeUpdate() != 1) {
				throw new IllegalStateException("No job row " + jobId);
			}
		} catch (SQLException e) {
			throw new IllegalStateException(e);
		}
	}

	private List<String> strings(String sql, String... parameters) {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			for (int i = 0; i < parameters.length; i++) {
				statement.setString(i + 1, parameters[i]);
			}
			List<String> values = new ArrayList<>();
			try (ResultSet rows = statement.executeQuery()) {
				while (rows.next()) {
					values.add(rows.getString(1));
				}
			}
			return values;
		} catch (SQLException e) {
			throw new IllegalStateException(sql, e);
		}
	}
}
