package hapibulk.export.job;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.ManifestJson;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.repeat.RepeatStatus;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Last step: gathers every partition's part files (from their last execution, which may belong to
 * an earlier run when the job was restarted) into the manifest and completes the job row.
 */
class ExportManifestTasklet implements Tasklet {

	private final JobRepository jobRepository;
	private final BulkJobTable table;
	private final String workerStepName;
	private final boolean requiresAccessToken;
	private final Duration retention;
	private final Clock clock;

	ExportManifestTasklet(JobRepository jobRepository, BulkJobTable table, String workerStepName,
			boolean requiresAccessToken, Duration retention, Clock clock) {
		this.jobRepository = jobRepository;
		this.table = table;
		this.workerStepName = workerStepName;
		this.requiresAccessToken = requiresAccessToken;
		this.retention = retention;
		this.clock = clock;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		JobExecution jobExecution = chunkContext.getStepContext().getStepExecution().getJobExecution();
		String jobId = jobExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		List<BulkManifest.ManifestFile> output = new ArrayList<>();
		for (String type : ExportPlanTasklet.plannedTypes(jobExecution.getExecutionContext())) {
			StepExecution partition = jobRepository.getLastStepExecution(jobExecution.getJobInstance(),
					ExportPartitionSplitter.partitionStepName(workerStepName, type));
			if (partition == null) {
				throw new IllegalStateException("No execution of the " + type + " partition of bulk job " + jobId);
			}
			output.addAll(ExportCursor.from(partition.getExecutionContext()).files());
		}
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		BulkManifest manifest = new BulkManifest(job.transactionTime(), job.requestUrl(), requiresAccessToken, output,
				List.of());
		table.complete(jobId, ManifestJson.store(manifest), clock.instant().plus(retention));
		return RepeatStatus.FINISHED;
	}
}
