package hapibulk.job.recovery;

import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.NodeLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.dao.OptimisticLockingFailureException;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Clears the way for restarting (or giving up) a job execution whose node is gone. In cluster mode its
 * partitions may still be running on live worker nodes: marking them FAILED under those workers would let a
 * restarted partition and the old one append to the same part file at once. So those partitions are first
 * asked to stop, with Spring Batch's own stop: the execution becomes STOPPING, and each worker sees that at its
 * next chunk commit, commits that chunk and ends the partition STOPPED. Only when no partition runs on a live
 * node any more is the execution marked FAILED, so that its restart resumes every partition from the position
 * its last chunk committed.
 * <p>
 * A worker that never gets to its next commit (stuck on a source, say) is waited for at most
 * {@code stopWait}; after that the execution is marked FAILED anyway, and the job repository's version check
 * refuses that worker's next commit.
 */
public class LostExecutionTakeover {

	private static final Logger LOG = LoggerFactory.getLogger(LostExecutionTakeover.class);

	private final BulkBatchEngine engine;
	private final NodeLease lease;
	private final Duration stopWait;

	public LostExecutionTakeover(BulkBatchEngine engine, NodeLease lease, Duration stopWait) {
		this.engine = engine;
		this.lease = lease;
		this.stopWait = stopWait;
	}

	/** Waits for stopping workers up to ten leases: several of their heartbeats, and many chunks. */
	public LostExecutionTakeover(BulkBatchEngine engine, NodeLease lease) {
		this(engine, lease, lease.leaseDuration().multipliedBy(10));
	}

	/**
	 * Marks the execution FAILED (it may then be restarted), or, while some of its partitions still run on live
	 * nodes, asks them to stop and returns false: call again later.
	 */
	public boolean markFailedOnceStopped(JobExecution execution, String reason) {
		List<StepExecution> running = partitionsOnLiveNodes(execution);
		if (!running.isEmpty() && !waitedTooLong(execution)) {
			if (execution.getStatus() != BatchStatus.STOPPING) {
				execution.setStatus(BatchStatus.STOPPING);
				engine.jobRepository().update(execution);
				LOG.info("Bulk job {}: its node is gone, {} of its partitions still run on live nodes ({}); asked them"
						+ " to stop before the job is restarted", jobId(execution), running.size(),
						running.stream().map(LostExecutionTakeover::node).distinct().toList());
			}
			return false;
		}
		if (!running.isEmpty()) {
			LOG.warn("Bulk job {}: {} partitions did not stop within {}; failing them (their next commit will be"
					+ " refused)", jobId(execution), running.size(), stopWait);
		}
		try {
			engine.markFailed(execution, reason);
			return true;
		} catch (OptimisticLockingFailureException raced) {
			// A worker took one of its queued partitions meanwhile (it will see the job stopping): look again later.
			return false;
		}
	}

	/** Started partitions whose runner (recorded when it took the partition) holds a live lease. */
	private List<StepExecution> partitionsOnLiveNodes(JobExecution execution) {
		return execution.getStepExecutions().stream()
				.filter(step -> step.getStatus() == BatchStatus.STARTED || step.getStatus() == BatchStatus.STOPPING)
				.map(step -> engine.jobExplorer().getStepExecution(execution.getId(), step.getId()))
				.filter(step -> step != null && step.getStatus().isRunning())
				.filter(step -> {
					String node = node(step);
					return node != null && lease.isLive(node);
				})
				.toList();
	}

	private boolean waitedTooLong(JobExecution execution) {
		LocalDateTime askedAt = execution.getLastUpdated();
		return execution.getStatus() == BatchStatus.STOPPING && askedAt != null
				&& askedAt.plus(stopWait).isBefore(LocalDateTime.now());
	}

	private static String node(StepExecution partition) {
		return partition.getExecutionContext().getString(BulkJobKeys.PARTITION_NODE, null);
	}

	private static String jobId(JobExecution execution) {
		return execution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
	}
}
