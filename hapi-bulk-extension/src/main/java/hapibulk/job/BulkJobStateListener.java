package hapibulk.job;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobExecutionListener;

import java.util.stream.Collectors;

/**
 * Keeps our job row in step with Spring Batch: RUNNING when an execution starts, FAILED with the
 * reason when it fails. Completion is written by each job's manifest step, together with the
 * manifest. A job the client cancelled stays cancelled and loses whatever files it still wrote.
 */
public class BulkJobStateListener implements JobExecutionListener {

	private final BulkJobTable table;
	private final BulkJobService jobService;

	public BulkJobStateListener(BulkJobTable table, BulkJobService jobService) {
		this.table = table;
		this.jobService = jobService;
	}

	@Override
	public void beforeJob(JobExecution execution) {
		table.transition(jobId(execution), BulkJobState.ACCEPTED, BulkJobState.RUNNING);
	}

	@Override
	public void afterJob(JobExecution execution) {
		String jobId = jobId(execution);
		if (execution.getStatus() == BatchStatus.FAILED) {
			String reasons = execution.getAllFailureExceptions().stream()
					.map(e -> e.getClass().getSimpleName() + ": " + e.getMessage())
					.distinct()
					.collect(Collectors.joining("; "));
			table.fail(jobId, reasons.isEmpty() ? execution.getExitStatus().getExitDescription() : reasons);
		}
		table.find(jobId)
				.filter(job -> job.state() == BulkJobState.CANCELLED)
				.ifPresent(job -> jobService.deleteFiles(jobId));
	}

	private static String jobId(JobExecution execution) {
		return execution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
	}
}
