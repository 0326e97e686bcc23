package hapibulk.export.job;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.job.ManifestJson;
import hapibulk.storage.BulkFileStore;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.repeat.RepeatStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Last step: gathers every partition's part files (from their last execution, which may belong to
 * an earlier run when the job was restarted), checksums them, and completes the job row with the
 * manifest.
 */
class ExportManifestTasklet implements Tasklet {

	private final JobRepository jobRepository;
	private final BulkJobTable table;
	private final BulkFileStore fileStore;
	private final String workerStepName;
	private final boolean requiresAccessToken;
	private final Duration retention;
	private final Clock clock;

	ExportManifestTasklet(JobRepository jobRepository, BulkJobTable table, BulkFileStore fileStore,
			String workerStepName, boolean requiresAccessToken, Duration retention, Clock clock) {
		this.jobRepository = jobRepository;
		this.table = table;
		this.fileStore = fileStore;
		this.workerStepName = workerStepName;
		this.requiresAccessToken = requiresAccessToken;
		this.retention = retention;
		this.clock = clock;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws IOException {
		JobExecution jobExecution = chunkContext.getStepContext().getStepExecution().getJobExecution();
		String jobId = jobExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		List<ManifestFile> output = new ArrayList<>();
		List<ManifestFile> deleted = new ArrayList<>();
		for (ExportFilter filter : ExportPlanTasklet.plan(jobExecution.getExecutionContext())) {
			StepExecution partition = jobRepository.getLastStepExecution(jobExecution.getJobInstance(),
					ExportPartitionSplitter.partitionStepName(workerStepName, filter));
			if (partition == null) {
				throw new IllegalStateException("No execution of partition " + filter.partitionName() + " of job " + jobId);
			}
			for (ManifestFile file : ExportCursor.from(partition.getExecutionContext()).files()) {
				(filter.deleted() ? deleted : output).add(file.withSha256(sha256(jobId, file)));
			}
		}
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		BulkManifest manifest = new BulkManifest(job.transactionTime(), job.requestUrl(), requiresAccessToken, output,
				deleted, List.of());
		table.complete(jobId, ManifestJson.store(manifest), clock.instant().plus(retention));
		return RepeatStatus.FINISHED;
	}

	private String sha256(String jobId, ManifestFile file) throws IOException {
		BulkFileStore.StoredFile stored = fileStore.find(jobId, file.file())
				.orElseThrow(() -> new IllegalStateException("Part file " + file.file() + " of job " + jobId + " is missing"));
		if (stored.length() != file.bytes()) {
			throw new IllegalStateException("Part file " + file.file() + " of job " + jobId + " has " + stored.length()
					+ " bytes, its partition committed " + file.bytes());
		}
		try (InputStream in = stored.open();
				DigestOutputStream digest = new DigestOutputStream(OutputStream.nullOutputStream(),
						MessageDigest.getInstance("SHA-256"))) {
			in.transferTo(digest);
			return HexFormat.of().formatHex(digest.getMessageDigest().digest());
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}
}
