package hapibulk.export.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Waits until every database transaction open now has ended, so that an export reads after all writes
 * that had begun by then committed (or rolled back). HAPI stamps {@code lastUpdated} when a write
 * starts and commits it seconds later (an import slice, a large transaction Bundle): without this an
 * export could read a type before such a write commits, and the next {@code _since} export would start
 * after its {@code lastUpdated}, so that no export of the chain ever holds it.
 * <p>
 * PostgreSQL: the sessions of this database with an open transaction ({@code pg_stat_activity},
 * identified by process and transaction start). H2 (embedded): the open transactions of its
 * transaction store. Other databases: no wait (logged once). Must run outside a transaction: an open
 * transaction of the caller would be waited for by other exports' plans, and PostgreSQL answers
 * {@code pg_stat_activity} from one snapshot per transaction.
 */
public class OpenTransactions {

	private static final Logger LOG = LoggerFactory.getLogger(OpenTransactions.class);

	private static final String POSTGRES_OPEN = "SELECT pid, xact_start FROM pg_stat_activity"
			+ " WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
			+ " AND backend_type = 'client backend'"; // not autovacuum, which may run for minutes

	private final JdbcTemplate jdbc;
	private final Duration limit;
	private final Clock clock;
	private volatile String product;

	/** @param limit the longest wait; past it the export goes on and the transactions still open are logged */
	public OpenTransactions(JdbcTemplate jdbc, Duration limit, Clock clock) {
		this.jdbc = jdbc;
		this.limit = limit;
		this.clock = clock;
	}

	/** Waits until the transactions open now have ended (or {@code limit} passed); returns how long it waited. */
	public Duration awaitEnd() throws InterruptedException {
		Instant start = clock.instant();
		Set<String> waitingFor = open();
		long pause = 10;
		while (!waitingFor.isEmpty()) {
			if (Duration.between(start, clock.instant()).compareTo(limit) >= 0) {
				LOG.warn("Export goes on after {} although {} database transaction(s) open since before it are still"
						+ " open: resources they write may be missing from _since exports", limit, waitingFor.size());
				break;
			}
			Thread.sleep(pause);
			pause = Math.min(200, pause * 2);
			waitingFor.retainAll(open());
		}
		return Duration.between(start, clock.instant());
	}

	/** The open transactions, each as an identity that a later transaction of the same session does not share. */
	private Set<String> open() {
		Set<String> open = new HashSet<>();
		switch (product()) {
			case "PostgreSQL" -> jdbc.query(POSTGRES_OPEN, rs -> {
				open.add(rs.getLong(1) + "@" + rs.getTimestamp(2).toInstant());
			});
			case "H2" -> {
				try {
					open.addAll(jdbc.execute((ConnectionCallback<Set<String>>) H2OpenTransactions::of));
				} catch (LinkageError e) {
					// An H2 whose internals differ from 2.x's: go on as on other databases.
					LOG.warn("Cannot see H2's open transactions ({}); exports do not wait for them", e.toString());
					product = "H2 (unsupported)";
				}
			}
			default -> {
				// Nothing to ask: the bound then rests on the writes having committed by the plan's start.
			}
		}
		return open;
	}

	private String product() {
		String name = product;
		if (name == null) {
			name = jdbc.execute((ConnectionCallback<String>) connection -> connection.getMetaData().getDatabaseProductName());
			if (!name.equals("PostgreSQL") && !name.equals("H2")) {
				LOG.info("Exports on {} do not wait for open write transactions", name);
			}
			product = name;
		}
		return name;
	}
}
