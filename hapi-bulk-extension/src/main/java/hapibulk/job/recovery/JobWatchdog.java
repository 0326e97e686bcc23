package hapibulk.job.recovery;

import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobTable;
import hapibulk.job.NodeLease;
import hapibulk.job.PeriodicTask;
import hapibulk.job.RecoverySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.repository.JobExecutionAlreadyRunningException;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Every {@code hapi.bulk.recovery.watchdog-interval}, reconciles our job rows with Spring Batch: a row
 * ACCEPTED or RUNNING whose job no thread of this process runs is either restarted (its execution was
 * lost: left STARTED, or UNKNOWN because its last update failed with the database) or failed, so that
 * it gives its export or import slot back. Without this, a database outage at the wrong moment leaves a
 * job at "73%" forever, holding a slot until someone DELETEs it.
 * <p>
 * With several nodes on one database it reconciles only the rows this node runs, and takes over (through
 * {@link NodeLease#claim}) those of nodes whose lease has expired: their lost executions are restarted
 * here from the positions they committed. A live node's rows are left alone.
 */
public class JobWatchdog extends PeriodicTask {

	private static final Logger LOG = LoggerFactory.getLogger(JobWatchdog.class);

	private final BulkBatchEngine engine;
	private final BulkJobTable table;
	private final BulkJobService jobService;
	private final List<Job> jobs;
	private final RecoverySettings settings;
	private final Clock clock;
	private final NodeLease lease;
	private final LostExecutionTakeover takeover;

	public JobWatchdog(BulkBatchEngine engine, BulkJobTable table, BulkJobService jobService, List<Job> jobs,
			RecoverySettings settings, Clock clock, NodeLease lease) {
		super("bulk-job-watchdog", settings.watchdogInterval());
		this.engine = engine;
		this.table = table;
		this.jobService = jobService;
		this.jobs = jobs;
		this.settings = settings;
		this.clock = clock;
		this.lease = lease;
		this.takeover = new LostExecutionTakeover(engine, lease);
	}

	/** What one pass did, for logs and tests. */
	public record Pass(int restarted, int failed) {}

	/** One pass over the active rows. */
	public synchronized Pass reconcile() {
		int restarted = 0;
		int failed = 0;
		for (BulkJob row : table.findActive()) {
			if (engine.isLive(row.id()) || !lease.claim(row.id())) {
				// Running here, or run by a live node (or just taken over by another survivor).
				continue;
			}
			Outcome outcome = reconcile(row);
			if (outcome == Outcome.RESTARTED) {
				restarted++;
			} else if (outcome == Outcome.FAILED) {
				failed++;
			}
		}
		if (restarted + failed > 0) {
			LOG.info("Bulk job watchdog: restarted {}, failed {} jobs that no execution ran", restarted, failed);
		}
		return new Pass(restarted, failed);
	}

	private enum Outcome { RESTARTED, FAILED, LEFT }

	private Outcome reconcile(BulkJob row) {
		if (row.executionId() == null) {
			// Inserted, never launched: the process died in between (or is launching it right now).
			if (row.createdAt() != null && row.createdAt().isAfter(clock.instant().minus(graceForLaunch()))) {
				return Outcome.LEFT;
			}
			return fail(row, "The server stopped before the job started; kick it off again");
		}
		JobExecution execution = engine.jobExplorer().getJobExecution(row.executionId());
		if (execution == null) {
			return fail(row, "The job's execution record is missing; kick it off again");
		}
		BatchStatus status = execution.getStatus();
		if (status == BatchStatus.COMPLETED || status == BatchStatus.ABANDONED) {
			return fail(row, "The job ended without a result; kick it off again");
		}
		Job job = jobs.stream().filter(candidate -> candidate.getName().equals(execution.getJobInstance().getJobName()))
				.findFirst().orElse(null);
		int restarts = engine.jobExplorer().getJobExecutions(execution.getJobInstance()).size() - 1;
		if (job == null || restarts >= settings.maxRestarts()) {
			if (!takeover.markFailedOnceStopped(execution, "Given up by the watchdog after " + restarts + " restarts")) {
				return Outcome.LEFT;
			}
			return fail(row, "The job was interrupted " + (restarts + 1) + " times (the database or the server went"
					+ " away while it ran); kick it off again");
		}
		if (!takeover.markFailedOnceStopped(execution, "Lost (" + status + "); restarted by the watchdog")) {
			// Its partitions still running on live workers stop at their next chunk; a later pass restarts it.
			return Outcome.LEFT;
		}
		try {
			JobExecution restarted = engine.launch(job, execution.getJobParameters());
			table.setExecution(row.id(), restarted.getId());
			LOG.info("Bulk job watchdog restarted job {} (execution {} was {}; {} replaces it)", row.id(),
					execution.getId(), status, restarted.getId());
			return Outcome.RESTARTED;
		} catch (JobExecutionAlreadyRunningException running) {
			return Outcome.LEFT;
		} catch (Exception e) {
			LOG.warn("Bulk job watchdog could not restart job {}", row.id(), e);
			return fail(row, "The job was interrupted and could not be restarted; kick it off again");
		}
	}

	private Outcome fail(BulkJob row, String reason) {
		if (table.fail(row.id(), reason)) {
			jobService.deleteFiles(row);
			LOG.warn("Bulk job watchdog failed job {}: {}", row.id(), reason);
			return Outcome.FAILED;
		}
		return Outcome.LEFT;
	}

	/** How long a fresh row may go without an execution: a kick-off inserts the row, then launches. */
	private Duration graceForLaunch() {
		Duration interval = settings.watchdogInterval();
		return interval.compareTo(Duration.ofMinutes(1)) > 0 ? interval : Duration.ofMinutes(1);
	}

	@Override
	protected void runOnce() {
		try {
			reconcile();
		} catch (RuntimeException e) {
			// The database may still be away: the next pass tries again.
			LOG.warn("Bulk job watchdog pass failed; will retry: {}", e.toString());
		}
	}
}
