package hapibulk.job;

import hapibulk.support.BulkErrors;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code hapi.bulk.recovery.*}: how jobs ride out a database that goes away for a while.
 *
 * @param retryAttempts    how often one chunk is tried again after a transient database error before its
 *                         job fails (0: never)
 * @param retryBackoff     the wait before the first retry; it doubles with each further one
 * @param retryMaxBackoff  the longest wait between two retries
 * @param watchdogInterval how often job rows are reconciled with Spring Batch's executions
 * @param maxRestarts      how often the watchdog restarts one job whose execution was lost before it fails it
 * @param statusTimeout    the longest a status, cancel or download request waits for the database
 *                         before it answers 503
 * @param statusLookupThreads the threads that read job rows for status, cancel and download requests (each holds a
 *                         database connection while it reads)
 * @param statusLookupQueue how many such reads may wait for a thread; past that a request answers 503 at once
 */
public record RecoverySettings(
		@DefaultValue("8") int retryAttempts,
		@DefaultValue("1s") Duration retryBackoff,
		@DefaultValue("30s") Duration retryMaxBackoff,
		@DefaultValue("30s") Duration watchdogInterval,
		@DefaultValue("3") int maxRestarts,
		@DefaultValue("3s") Duration statusTimeout,
		@DefaultValue("4") int statusLookupThreads,
		@DefaultValue("1000") int statusLookupQueue) {

	public static RecoverySettings defaults() {
		return new RecoverySettings(8, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(30), 3,
				Duration.ofSeconds(3), 4, 1000);
	}

	public RecoverySettings {
		if (statusLookupThreads < 1 || statusLookupQueue < 1) {
			throw new IllegalArgumentException(BulkErrors.code(417) + "hapi.bulk.recovery.status-lookup-threads and status-lookup-queue must be"
					+ " at least 1");
		}
	}

	/** The wait before retry number {@code attempt} (1-based). */
	public Duration backoff(int attempt) {
		Duration wait = retryBackoff.multipliedBy(1L << Math.min(20, Math.max(0, attempt - 1)));
		return wait.compareTo(retryMaxBackoff) > 0 ? retryMaxBackoff : wait;
	}
}
