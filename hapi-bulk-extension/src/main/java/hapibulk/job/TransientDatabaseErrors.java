package hapibulk.job;

import jakarta.persistence.PersistenceException;
import org.hibernate.HibernateException;
import org.hibernate.exception.JDBCConnectionException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.dao.RecoverableDataAccessException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.io.IOException;

import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Tells a database that is away for a moment (connection lost or refused, pool timed out, serialization
 * failure, a socket error under a database call) from an error that would only repeat. A version conflict
 * on a job or step execution is never transient, though Spring counts it among its concurrency failures: it
 * means another node has taken the execution over, and retrying would overwrite that node's state. The
 * drivers and layers wrap errors differently, so the whole cause chain is looked at.
 */
public final class TransientDatabaseErrors {

	private TransientDatabaseErrors() {}

	public static boolean isTransient(Throwable error) {
		Map<Throwable, Boolean> seen = new IdentityHashMap<>();
		boolean database = false;
		for (Throwable cause = error; cause != null && seen.put(cause, true) == null; cause = cause.getCause()) {
			if (cause instanceof OptimisticLockingFailureException) {
				// Another writer moved the execution (a node that took the job over): going on would make two.
				return false;
			}
			if (cause instanceof IOException && database) {
				// The driver lost its socket (EOF, reset): the network or the server went away.
				return true;
			}
			database |= cause instanceof SQLException || cause instanceof DataAccessException
					|| cause instanceof TransactionException || cause instanceof HibernateException
					|| cause instanceof PersistenceException;
			if (cause instanceof TransientDataAccessException || cause instanceof RecoverableDataAccessException
					|| cause instanceof DataAccessResourceFailureException
					|| cause instanceof CannotCreateTransactionException || cause instanceof TransactionSystemException
					|| cause instanceof JDBCConnectionException || cause instanceof SQLTransientException
					|| cause instanceof SQLRecoverableException || cause instanceof SocketException) {
				return true;
			}
			if (cause instanceof SQLException sql && isTransientState(sql.getSQLState())) {
				return true;
			}
		}
		return false;
	}

	/**
	 * SQLSTATE class 08 (connection exception), 57P01-57P03 (PostgreSQL shut down or starting), 40001 and
	 * 40P01 (serialization failure, deadlock: the transaction may simply be run again).
	 */
	private static boolean isTransientState(String state) {
		return state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("40001")
				|| state.equals("40P01"));
	}
}
