package hapibulk.bench;

import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;

/**
 * What PostgreSQL counted for one database, from its cumulative statistics views (pg_stat_statements is not
 * loaded on the benchmark's server, and loading it needs a server restart): transactions
 * ({@code pg_stat_database.xact_commit + xact_rollback}; a statement outside an explicit transaction is one
 * transaction of its own, so this is a lower bound of the statements), table scans started
 * ({@code pg_stat_user_tables.seq_scan + idx_scan}, summed over tables: about one per table a read
 * statement touches, so a join counts once per table) and rows written ({@code n_tup_ins + n_tup_upd +
 * n_tup_del}). Every process on the database counts, the workers' as much as this one's.
 * <p>
 * Backends publish their figures when they go idle, at most once a second, and idle ones within 10 s
 * ({@link #SETTLE_MILLIS}): a reading taken sooner after the work misses some of it.
 */
record DatabaseActivity(long transactions, long tableScans, long rowsWritten) {

	/** PostgreSQL 15's PGSTAT_IDLE_INTERVAL (10 s), and a margin. */
	static final long SETTLE_MILLIS = 11_000;

	static DatabaseActivity read(DataSource dataSource) {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		Long transactions = jdbc.queryForObject(
				"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()", Long.class);
		return jdbc.queryForObject("SELECT COALESCE(SUM(COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0)), 0),"
				+ " COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables",
				(rs, row) -> new DatabaseActivity(transactions == null ? 0 : transactions, rs.getLong(1), rs.getLong(2)));
	}

	DatabaseActivity minus(DatabaseActivity before) {
		return new DatabaseActivity(transactions - before.transactions, tableScans - before.tableScans,
				rowsWritten - before.rowsWritten);
	}
}
