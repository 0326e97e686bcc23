package hapibulk.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ChunkListener;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatContext;
import org.springframework.batch.repeat.exception.ExceptionHandler;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets a tasklet step ride out a database that is away for a while. Our steps are tasklets that do one
 * chunk per call in one transaction, so Spring Batch's fault-tolerant (item) retry does not apply; instead
 * this is the exception handler of the step's outer loop: on a transient database error (after the chunk
 * rolled back) it waits with a doubling backoff, reloads the step's committed state (cursor and version)
 * from the job repository, and lets the loop run the chunk again from there. Past
 * {@code retry-attempts} waits in a row, or on any other error, the step fails as before.
 * <p>
 * Reloading is what makes the retry exact: a chunk that failed after it moved its cursor in memory (or
 * whose commit failed) would otherwise go on from a position the database never saw. This is the same
 * resume-from-the-committed-cursor rule a restart after kill -9 follows.
 */
public class ChunkRetryOnTransientErrors implements ExceptionHandler, ChunkListener {

	private static final Logger LOG = LoggerFactory.getLogger(ChunkRetryOnTransientErrors.class);

	private final BulkBatchEngine engine;
	private final RecoverySettings settings;
	/** Failed attempts in a row, per step execution; a committed chunk clears its entry. */
	private final Map<Long, Integer> attempts = new ConcurrentHashMap<>();

	public ChunkRetryOnTransientErrors(BulkBatchEngine engine, RecoverySettings settings) {
		this.engine = engine;
		this.settings = settings;
	}

	@Override
	public void afterChunk(ChunkContext context) {
		attempts.remove(context.getStepContext().getStepExecution().getId());
	}

	@Override
	public void handleException(RepeatContext context, Throwable error) throws Throwable {
		if (!TransientDatabaseErrors.isTransient(error) || StepSynchronizationManager.getContext() == null) {
			throw error;
		}
		StepExecution step = StepSynchronizationManager.getContext().getStepExecution();
		int attempt = attempts.getOrDefault(step.getId(), 0);
		while (true) {
			attempt++;
			if (attempt > settings.retryAttempts()) {
				attempts.remove(step.getId());
				LOG.warn("Step {} of bulk job {} failed: the database stayed unavailable through {} retries",
						step.getStepName(), bulkJobId(step), settings.retryAttempts());
				throw error;
			}
			Duration wait = settings.backoff(attempt);
			LOG.warn("Step {} of bulk job {}: transient database error ({}); retry {} of {} in {} ms",
					step.getStepName(), bulkJobId(step), rootMessage(error), attempt, settings.retryAttempts(),
					wait.toMillis());
			Thread.sleep(wait.toMillis());
			try {
				resumeFromCommitted(step);
				attempts.put(step.getId(), attempt);
				return;
			} catch (RuntimeException stillAway) {
				if (!TransientDatabaseErrors.isTransient(stillAway)) {
					throw stillAway;
				}
				error = stillAway;
			}
		}
	}

	/** Puts the step back where its last committed chunk left it, as far as the next chunk can tell. */
	private void resumeFromCommitted(StepExecution step) {
		StepExecution committed = engine.jobExplorer().getStepExecution(step.getJobExecutionId(), step.getId());
		JobExecution job = engine.jobExplorer().getJobExecution(step.getJobExecutionId());
		if (committed == null || job == null) {
			throw new IllegalStateException("Step execution " + step.getId() + " is gone from the job repository");
		}
		step.setExecutionContext(new ExecutionContext(committed.getExecutionContext()));
		step.setVersion(committed.getVersion());
		step.setWriteCount(committed.getWriteCount());
		step.setCommitCount(committed.getCommitCount());
		if (step.getStatus() == BatchStatus.UNKNOWN && !job.isStopping() && job.getStatus() != BatchStatus.STOPPING) {
			// A rollback that failed with the connection marks the step UNKNOWN and terminate-only; the
			// rollback did happen (the database dropped the transaction), so the step may go on.
			step.setStatus(BatchStatus.STARTED);
			clearTerminateOnly(step);
		}
	}

	/** Spring Batch 5 has no public way back from terminate-only; the field is private. */
	private static void clearTerminateOnly(StepExecution step) {
		try {
			Field field = StepExecution.class.getDeclaredField("terminateOnly");
			field.setAccessible(true);
			field.setBoolean(step, false);
		} catch (ReflectiveOperationException | RuntimeException e) {
			throw new IllegalStateException("Cannot resume step " + step.getStepName() + " after a failed rollback", e);
		}
	}

	private static String bulkJobId(StepExecution step) {
		return step.getJobExecution().getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
	}

	private static String rootMessage(Throwable error) {
		Throwable root = error;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getClass().getSimpleName() + ": " + root.getMessage();
	}
}
