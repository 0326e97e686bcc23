package hapibulk.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import java.sql.SQLException;
import java.util.Locale;

/**
 * The host's JPA transaction manager for our steps and job repository, with one difference: a rollback that
 * fails because the connection is gone counts as done. The database rolls back what a lost connection left
 * open, so nothing is applied; but a failed rollback reaches Spring Batch as "transaction state unknown",
 * and it then marks the step UNKNOWN and stops it, where the chunk could simply be retried from its cursor
 * ({@link ChunkRetryOnTransientErrors}). Joining and suspending HAPI's own transactions works as with the
 * host's manager: both bind the same entity manager factory's resources.
 */
public final class ConnectionLossTolerantTransactions extends JpaTransactionManager {

	private static final Logger LOG = LoggerFactory.getLogger(ConnectionLossTolerantTransactions.class);

	private ConnectionLossTolerantTransactions(JpaTransactionManager host) {
		setEntityManagerFactory(host.getEntityManagerFactory());
		setJpaPropertyMap(host.getJpaPropertyMap());
		setJpaDialect(host.getJpaDialect());
		if (host.getDataSource() != null) {
			setDataSource(host.getDataSource());
		}
		setNestedTransactionAllowed(host.isNestedTransactionAllowed());
		setDefaultTimeout(host.getDefaultTimeout());
		afterPropertiesSet();
	}

	/** The tolerant manager for a JPA host; any other manager as it is. */
	public static PlatformTransactionManager of(PlatformTransactionManager host) {
		return host instanceof JpaTransactionManager jpa && jpa.getEntityManagerFactory() != null
				? new ConnectionLossTolerantTransactions(jpa) : host;
	}

	@Override
	protected void doRollback(DefaultTransactionStatus status) {
		try {
			super.doRollback(status);
		} catch (RuntimeException e) {
			// JPA reports it as a DataAccessException or a TransactionSystemException, with the driver's cause
			if (!TransientDatabaseErrors.isTransient(e) && !onClosedConnection(e)) {
				throw e;
			}
			LOG.warn("A rollback failed because the database connection is gone ({}); the database has rolled the "
					+ "transaction back with the connection", e.getMessage());
		}
	}

	/**
	 * The pool had already closed the connection (it saw the connection fail and evicted it): HikariCP then
	 * answers "Connection is closed" without an SQLSTATE; other pools say "closed" too.
	 */
	private static boolean onClosedConnection(Throwable error) {
		for (Throwable cause = error; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
			if (cause instanceof SQLException sql && sql.getMessage() != null
					&& sql.getMessage().toLowerCase(Locale.ROOT).contains("closed")) {
				return true;
			}
		}
		return false;
	}
}
