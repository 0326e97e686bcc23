package hapibulk.export.job;

import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.tx.Transaction;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/**
 * The open transactions of an embedded H2 database, from its transaction store: H2's SQL tells no
 * session's transaction (INFORMATION_SCHEMA.SESSIONS has no transaction start, and
 * CONTAINS_UNCOMMITTED stays false until Hibernate flushes at commit). Loaded only on H2 (H2 2.x API).
 */
final class H2OpenTransactions {

	private H2OpenTransactions() {}

	/** Each open transaction as "id:sequence number" (ids are reused, sequence numbers are not). */
	static Set<String> of(Connection connection) throws SQLException {
		Set<String> open = new HashSet<>();
		if (!(connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)) {
			return open; // H2 over TCP: not visible from here
		}
		for (Transaction transaction : session.getDatabase().getStore().getTransactionStore().getOpenTransactions()) {
			if (transaction.getStatus() != Transaction.STATUS_CLOSED) {
				open.add(transaction.getId() + ":" + transaction.getSequenceNum());
			}
		}
		return open;
	}
}
