package hapibulk.job;

import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.transaction.CannotCreateTransactionException;

import java.net.SocketException;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

class TransientDatabaseErrorsTest {

	@Test
	void lostConnectionsAndLockTimeouts_areTransient() {
		assertThat(TransientDatabaseErrors.isTransient(new CannotCreateTransactionException("pool",
				new SQLException("refused", "08001")))).isTrue();
		assertThat(TransientDatabaseErrors.isTransient(new CannotAcquireLockException("lock"))).isTrue();
		assertThat(TransientDatabaseErrors.isTransient(new SQLException("io", new SocketException("reset")))).isTrue();
		assertThat(TransientDatabaseErrors.isTransient(new SQLException("serialization", "40001"))).isTrue();
	}

	@Test
	void aVersionConflictOnAnExecution_isNot_thoughSpringCountsItAConcurrencyFailure() {
		// Spring Batch's answer when another node took the step execution over: retrying would make two writers.
		OptimisticLockingFailureException conflict = new OptimisticLockingFailureException(
				"Attempt to update step execution id=7 with wrong version (3), where current version is 4");
		assertThat(TransientDatabaseErrors.isTransient(conflict)).isFalse();
		assertThat(TransientDatabaseErrors.isTransient(new IllegalStateException("wrapped", conflict))).isFalse();
	}

	@Test
	void aConstraintViolation_isNot() {
		assertThat(TransientDatabaseErrors.isTransient(new SQLException("duplicate key", "23505"))).isFalse();
	}
}
