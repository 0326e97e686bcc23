package hapibulk.job;

import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import hapibulk.support.BulkErrors;
import org.springframework.batch.core.JobExecutionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Keeps our job row in step with Spring Batch: RUNNING when an execution starts, FAILED with the
 * reason when it fails. Completion is written by each job's manifest step, together with the
 * manifest. A job the client cancelled stays cancelled and loses whatever files it still wrote.
 */
public class BulkJobStateListener implements JobExecutionListener {

	/** What a failed job answers (with its id as correlation id), and what its AuditEvent records, not the reason. */
	public static final String FAILED_CODE = BulkErrors.code(202);
	private static final Logger LOG = LoggerFactory.getLogger(BulkJobStateListener.class);

	private final BulkJobTable table;
	private final BulkJobService jobService;
	private final BulkAudit audit;
	private final JobMeters meters;

	/** @param meters counts the job once it ended (state, duration, the manifest's counts) */
	public BulkJobStateListener(BulkJobTable table, BulkJobService jobService, BulkAudit audit, JobMeters meters) {
		this.table = table;
		this.jobService = jobService;
		this.audit = audit;
		this.meters = meters;
	}

	@Override
	public void beforeJob(JobExecution execution) {
		table.transition(jobId(execution), BulkJobState.ACCEPTED, BulkJobState.RUNNING);
		table.markStarted(jobId(execution), execution.getStartTime() == null ? Instant.now()
				: execution.getStartTime().atZone(ZoneId.systemDefault()).toInstant());
	}

	@Override
	public void afterJob(JobExecution execution) {
		String jobId = jobId(execution);
		if (table.takenOverByAnotherNode(jobId)) {
			// This node's lease expired while it ran (a long pause): the job and its files are another node's now.
			LOG.warn("Bulk job {} was taken over by another node; this node's execution {} ended {}", jobId,
					execution.getId(), execution.getStatus());
			return;
		}
		if (execution.getStatus() == BatchStatus.FAILED) {
			// Files first: once a client reads FAILED, nothing of the job is left to fill the disk.
			table.find(jobId).ifPresent(jobService::deleteFiles);
			String message = failureMessage(execution);
			table.fail(jobId, message);
			// Clients see only the job id (the correlation id) and a stable code; the reasons are here.
			LOG.warn("Bulk job {} failed: {}", jobId, execution.getAllFailureExceptions());
		}
		table.find(jobId).ifPresent(job -> {
			meters.ended(job);
			if (job.state() == BulkJobState.CANCELLED || job.state() == BulkJobState.FAILED) {
				// A failed job's partial files help no one and may be what filled the disk; its row keeps the reason.
				jobService.deleteFiles(job);
			}
			if (job.state() == BulkJobState.COMPLETED || job.state() == BulkJobState.FAILED) {
				boolean completed = job.state() == BulkJobState.COMPLETED;
				Map<String, String> details = new LinkedHashMap<>();
				details.put("job", jobId);
				details.put("kind", job.kind().name());
				details.put("resources", Long.toString(job.progressDone()));
				if (!completed) {
					// As the status URL answers: a code and the correlation id. The reason (SQL, paths, host names) stays
					// in the server's log under the job id; the audit trail is read by others than the operators.
					String code = FAILED_CODE;
					details.put("code", code.substring(0, code.indexOf(':')));
					details.put("correlation-id", jobId);
				}
				AuditAction action = job.kind() == BulkJobKind.IMPORT ? AuditAction.IMPORT_FINISHED
						: completed ? AuditAction.JOB_COMPLETED : AuditAction.JOB_FAILED;
				audit.record(new AuditRecord(action, job.owner(),
						null, job.kind().name().toLowerCase(java.util.Locale.ROOT), completed, details));
			}
		});
	}

	/**
	 * What the status URL reports. A database that stayed away past the retries gets a generic text (its
	 * driver's message may hold SQL and host names); anything else its exceptions' messages.
	 */
	static String failureMessage(JobExecution execution) {
		List<Throwable> failures = execution.getAllFailureExceptions();
		if (failures.stream().anyMatch(TransientDatabaseErrors::isTransient)) {
			return BulkErrors.code(415) + "The database was unavailable for longer than the job's retries allowed,"
					+ " so the job stopped. Kick it off again.";
		}
		String reasons = failures.stream()
				.map(e -> e.getClass().getSimpleName() + ": " + e.getMessage())
				.distinct()
				.collect(Collectors.joining("; "));
		return reasons.isEmpty() ? execution.getExitStatus().getExitDescription() : reasons;
	}

	private static String jobId(JobExecution execution) {
		return execution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
	}
}
