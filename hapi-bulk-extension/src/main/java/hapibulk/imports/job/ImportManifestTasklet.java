package hapibulk.imports.job;

import hapibulk.job.PlannedPartitionSplitter;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Last step: one output entry per input ({@code type, inputUrl, count} of resources stored) and one
 * error entry per input (or part of a split input) that had bad lines ({@code type: OperationOutcome,
 * inputUrl, url, count}),
 * from each partition's last committed cursor; then the job row is completed with the manifest.
 */
class ImportManifestTasklet implements Tasklet {

	private final JobRepository jobRepository;
	private final BulkJobTable table;
	private final String workerStepName;
	private final boolean requiresAccessToken;
	private final Duration retention;
	private final Clock clock;

	ImportManifestTasklet(JobRepository jobRepository, BulkJobTable table, String workerStepName,
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
		// one output entry per input: the parts of a split input add up (in the order of the request)
		Map<Integer, ManifestFile> output = new LinkedHashMap<>();
		List<ManifestFile> errors = new ArrayList<>();
		for (ImportPartition partition : ImportPlanTasklet.plan(jobExecution.getExecutionContext())) {
			StepExecution execution = jobRepository.getLastStepExecution(jobExecution.getJobInstance(),
					PlannedPartitionSplitter.partitionStepName(workerStepName, partition.name()));
			if (execution == null) {
				throw new IllegalStateException("No execution of " + partition.name() + " of import " + jobId);
			}
			ImportCursor cursor = ImportCursor.from(execution.getExecutionContext());
			output.merge(partition.index(), new ManifestFile(partition.type(), null, cursor.stored(), 0, null, null,
					partition.url()), (before, part) -> new ManifestFile(before.type(), null,
					before.count() + part.count(), 0, null, null, before.inputUrl()));
			if (cursor.errors() > 0) {
				errors.add(new ManifestFile("OperationOutcome", partition.errorFileName(), cursor.errors(),
						cursor.errorBytes(), null, null, partition.url()));
			}
		}
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		BulkManifest manifest = new BulkManifest(job.transactionTime(), job.requestUrl(), requiresAccessToken,
				List.copyOf(output.values()),
				List.of(), errors, null);
		table.complete(jobId, StoredManifestJson.store(manifest), clock.instant().plus(retention));
		return RepeatStatus.FINISHED;
	}
}
