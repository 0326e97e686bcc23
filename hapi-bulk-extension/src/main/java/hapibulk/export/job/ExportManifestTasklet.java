package hapibulk.export.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.storage.JobFolder;
import hapibulk.export.ExportRequest;
import hapibulk.export.IgnoredParameter;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.job.PlannedPartitionSplitter;
import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.FileDigests;
import hapibulk.support.BulkJson;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Last step: gathers every partition's part files (from their last execution, which may belong to
 * an earlier run when the job was restarted), checksums them, and completes the job row with the
 * manifest.
 */
class ExportManifestTasklet implements Tasklet {

	static final String IGNORED_PARAMETERS_FILE = "errors-1.ndjson";
	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final JobRepository jobRepository;
	private final BulkJobTable table;
	private final BulkJobFiles jobFiles;
	private final BulkFileStore fileStore;
	private final String workerStepName;
	private final boolean requiresAccessToken;
	private final Duration retention;
	private final Clock clock;
	private final TypeFilterMatches typeFilterMatches;

	ExportManifestTasklet(JobRepository jobRepository, BulkJobTable table, BulkJobFiles jobFiles, BulkFileStore fileStore,
			TypeFilterMatches typeFilterMatches, String workerStepName, boolean requiresAccessToken, Duration retention,
			Clock clock) {
		this.typeFilterMatches = typeFilterMatches;
		this.jobRepository = jobRepository;
		this.table = table;
		this.jobFiles = jobFiles;
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
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		List<ManifestFile> output = new ArrayList<>();
		List<ManifestFile> deleted = new ArrayList<>();
		boolean blocks = !ExportPlanTasklet.blockMembers(jobExecution.getExecutionContext()).isEmpty();
		for (ExportFilter filter : ExportPlanTasklet.plan(jobExecution.getExecutionContext())) {
			StepExecution partition = jobRepository.getLastStepExecution(jobExecution.getJobInstance(),
					PlannedPartitionSplitter.partitionStepName(workerStepName, filter.partitionName()));
			if (partition == null) {
				throw new IllegalStateException("No execution of partition " + filter.partitionName() + " of job " + jobId);
			}
			String type = blocks && !filter.deleted() ? null : filter.type();
			ExecutionContext context = partition.getExecutionContext();
			ExportCursor cursor = ExportCursor.from(context);
			for (ManifestFile file : cursor.files(type)) {
				// The digest its writer recorded, else the file read back (a restart resumed it midway).
				String sha256 = PartDigests.recorded(context, file).orElse(null);
				(filter.deleted() ? deleted : output).add(file.withSha256(sha256 != null ? sha256
						: sha256(cursor.folder(), file)));
			}
		}
		ExportRequest request = ExportRequest.fromJson(job.requestJson());
		List<IgnoredParameter> ignored = request.ignoredParameters();
		List<ManifestFile> errors = ignored.isEmpty() ? List.of() : List.of(writeIgnoredParameters(job.folder(), ignored));
		if (request.allowPartialManifests()) {
			// The partitions recorded their files as they finished them; the error file is the last.
			errors.forEach(file -> jobFiles.register(jobId, BulkJobFiles.Kind.ERROR, file));
		}
		BulkManifest manifest = new BulkManifest(job.transactionTime(), job.requestUrl(), requiresAccessToken, output,
				deleted, errors, request.organizeOutputBy(), request.deidentified()
						? new BulkManifest.Deidentification(request.deidProfile(), request.deidKeyId()) : null);
		typeFilterMatches.forget(jobId);
		table.complete(jobId, StoredManifestJson.store(manifest), clock.instant().plus(retention));
		return RepeatStatus.FINISHED;
	}

	/** One OperationOutcome per parameter ignored under {@code Prefer: handling=lenient}, as the IG asks. */
	private ManifestFile writeIgnoredParameters(JobFolder folder, List<IgnoredParameter> ignored) throws IOException {
		ByteArrayOutputStream lines = new ByteArrayOutputStream();
		for (IgnoredParameter parameter : ignored) {
			ObjectNode outcome = JSON.createObjectNode().put("resourceType", "OperationOutcome");
			ObjectNode issue = outcome.putArray("issue").addObject().put("severity", "warning")
					.put("code", parameter.reason() == null ? "not-supported" : "invalid")
					.put("diagnostics", parameter.diagnostics());
			issue.putArray("expression").add(parameter.parameter());
			lines.write((outcome + "\n").getBytes(StandardCharsets.UTF_8));
		}
		long bytes;
		// Written whole from offset 0, so a restarted step rewrites the same file.
		try (BulkFileAppender appender = fileStore.openAppender(folder, IGNORED_PARAMETERS_FILE, 0)) {
			appender.append(lines.toByteArray(), 0, lines.size());
			bytes = appender.commit();
		}
		ManifestFile file = new ManifestFile("OperationOutcome", IGNORED_PARAMETERS_FILE, ignored.size(), bytes, null);
		return file.withSha256(sha256(folder, file));
	}

	private String sha256(JobFolder folder, ManifestFile file) throws IOException {
		return FileDigests.sha256(fileStore, folder, file.file(), file.bytes());
	}
}
