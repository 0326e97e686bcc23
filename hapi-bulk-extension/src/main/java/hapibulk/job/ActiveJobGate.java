package hapibulk.job;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Admits a job only while fewer than a limit of its kind are queued or running, counted and recorded in one
 * transaction that holds a lock on its kind's row of {@code BULK_JOB_GATE}. Every node of a cluster shares the
 * database, so simultaneous kick-offs on any nodes cannot both take the last place.
 */
final class ActiveJobGate {

	static final String TABLE = "BULK_JOB_GATE";

	private final JdbcTemplate jdbc;
	private final BulkJobTable jobs;
	private final TransactionTemplate transactions;

	/** @param jdbc on the same DataSource as {@code jobs}, so that both run on the transaction's connection */
	ActiveJobGate(JdbcTemplate jdbc, BulkJobTable jobs, PlatformTransactionManager transactionManager) {
		this.jdbc = jdbc;
		this.jobs = jobs;
		this.transactions = new TransactionTemplate(transactionManager);
	}

	/** Records the job if fewer than {@code maxActive} of its kind are active; whether it did. */
	boolean admit(BulkJob job, int maxActive) {
		return Boolean.TRUE.equals(transactions.execute(status -> {
			// The lock is held until commit: a second kick-off of the kind waits here, then counts this one.
			jdbc.queryForList("SELECT KIND FROM " + TABLE + " WHERE KIND = ? FOR UPDATE", String.class, job.kind().name());
			if (jobs.countActive(job.kind()) >= maxActive) {
				return false;
			}
			jobs.insert(job);
			return true;
		}));
	}

	/** The table and one row per kind; several nodes starting at once may race to add a row, which is harmless. */
	static void createTable(JdbcTemplate jdbc) {
		jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (KIND VARCHAR(16) NOT NULL PRIMARY KEY)");
		for (BulkJobKind kind : BulkJobKind.values()) {
			try {
				jdbc.update("INSERT INTO " + TABLE + " (KIND) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM " + TABLE
						+ " WHERE KIND = ?)", kind.name(), kind.name());
			} catch (DuplicateKeyException raced) {
				// another node added it between the check and the insert
			}
		}
	}
}
