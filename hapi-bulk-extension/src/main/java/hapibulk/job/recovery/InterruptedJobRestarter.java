package hapibulk.job.recovery;

import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import hapibulk.job.NodeLease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * On start-up, finds our job executions that a dead process left STARTED, marks them FAILED (Spring
 * Batch cannot restart them otherwise; partitions still running on live workers are stopped first,
 * {@link LostExecutionTakeover}) and restarts the ones whose job the client still waits for.
 * Restarted steps resume from the position they committed last.
 * <p>
 * Several nodes may share the database: only executions this node wins a {@link NodeLease#claim} for are
 * touched (its own from before a restart, and those of nodes whose lease has expired); a live node's are
 * left alone. Jobs of nodes that die later are taken over by the {@link JobWatchdog}. Runs on
 * {@code ContextRefreshedEvent}, after the providers and auth rules are registered (once all
 * singletons exist), so restarting jobs never holds the server's registration up.
 */
public class InterruptedJobRestarter implements ApplicationListener<ContextRefreshedEvent> {

	private static final Logger LOG = LoggerFactory.getLogger(InterruptedJobRestarter.class);

	private final BulkBatchEngine engine;
	private final BulkJobTable table;
	private final List<Job> jobs;
	private final NodeLease lease;
	private final LostExecutionTakeover takeover;
	private final AtomicBoolean done = new AtomicBoolean();

	public InterruptedJobRestarter(BulkBatchEngine engine, BulkJobTable table, List<Job> jobs, NodeLease lease) {
		this.engine = engine;
		this.table = table;
		this.jobs = jobs;
		this.lease = lease;
		this.takeover = new LostExecutionTakeover(engine, lease);
	}

	@Override
	public void onApplicationEvent(ContextRefreshedEvent event) {
		if (done.compareAndSet(false, true)) {
			restartInterrupted();
		}
	}

	public void restartInterrupted() {
		for (Job job : jobs) {
			for (JobExecution execution : engine.jobExplorer().findRunningJobExecutions(job.getName())) {
				String jobId = execution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
				if (engine.isLive(jobId) || !claimed(jobId)) {
					// Launched by this process since it started, or run by a live node, or just taken by another.
					continue;
				}
				if (!takeover.markFailedOnceStopped(execution, "Interrupted: the server stopped while it ran")) {
					// Partitions of it still run on live workers (cluster mode): the watchdog restarts it once they stopped.
					continue;
				}
				boolean wanted = table.find(jobId).map(row -> row.state().isActive()).orElse(false);
				if (wanted) {
					restart(job, execution, jobId);
				}
			}
		}
	}

	/** An execution of a job without a row (none ever runs it) is anyone's to mark failed. */
	private boolean claimed(String jobId) {
		return lease.claim(jobId) || table.find(jobId).isEmpty();
	}

	private void restart(Job job, JobExecution interrupted, String jobId) {
		try {
			JobExecution restarted = engine.launch(job, interrupted.getJobParameters());
			table.setExecution(jobId, restarted.getId());
			LOG.info("Restarted bulk job {} (execution {} replaces {})", jobId, restarted.getId(), interrupted.getId());
		} catch (Exception e) {
			LOG.error("Could not restart bulk job {}", jobId, e);
			table.fail(jobId, "Could not restart after an interruption: " + e.getMessage());
		}
	}
}
