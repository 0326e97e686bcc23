package hapibulk.imports.job;

import hapibulk.imports.ImportRequest;
import hapibulk.imports.ImportSources;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * First step (preflight): reads the request from the job row, checks once more that every input is
 * allowed (settings may have changed since the kick-off, or the job is being restarted), and plans
 * one partition per input with its wave; a {@code file:} input larger than {@code split-size} (and not gzip)
 * becomes several partitions, one per byte range, each reading the lines that start in its range. The plan
 * goes into the job's execution context, so a restarted job keeps it.
 */
class ImportPlanTasklet implements Tasklet {

	static final String PLAN = "importPlan";

	private final BulkJobTable table;
	private final ImportSources sources;

	ImportPlanTasklet(BulkJobTable table, ImportSources sources) {
		this.table = table;
		this.sources = sources;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		StepExecution stepExecution = chunkContext.getStepContext().getStepExecution();
		String jobId = stepExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		ImportRequest request = ImportRequest.fromJson(job.requestJson());
		List<ImportPartition> plan = new ArrayList<>();
		int index = 1;
		for (ImportRequest.Input input : request.inputs()) {
			sources.checkAllowed(input.url(), request.sourceAccess());
			WriteRights rights = new WriteRights(request.permissions().mayCreate(input.type()),
					request.permissions().mayUpdate(input.type()), request.permissions().readable(), request.tenant());
			ImportPartition whole = new ImportPartition(index++, input.type(), input.url(),
					ImportTypeOrder.wave(input.type()), request.inputSource(), rights)
					.withSourceAccess(request.sourceAccess());
			plan.addAll(split(whole));
		}
		stepExecution.getJobExecution().getExecutionContext().putString(PLAN, ImportPartition.listToJson(plan));
		Map<String, Integer> inputsPerType = new LinkedHashMap<>();
		plan.forEach(partition -> inputsPerType.merge(partition.type(), 1, Integer::sum));
		table.planInputs(jobId, inputsPerType);
		return RepeatStatus.FINISHED;
	}

	/** The input in parts of about {@code split-size} bytes, or whole when it is smaller or cannot be cut. */
	private List<ImportPartition> split(ImportPartition input) {
		long splitSize = sources.settings().splitSize().toBytes();
		long size = splitSize <= 0 ? -1 : sources.splittableSize(input.url(), input.sourceAccess()).orElse(-1);
		if (size <= splitSize) {
			return List.of(input);
		}
		int parts = Math.toIntExact(Math.min(10_000, (size + splitSize - 1) / splitSize));
		List<ImportPartition> split = new ArrayList<>(parts);
		for (int part = 1; part <= parts; part++) {
			long start = size / parts * (part - 1);
			long end = part == parts ? Long.MAX_VALUE : size / parts * part;
			split.add(input.part(part, start, end));
		}
		return split;
	}

	/** The worker partitions of the plan, by name, each with its starting cursor. */
	static Map<String, ExecutionContext> partitions(JobExecution jobExecution) {
		String jobId = jobExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
		for (ImportPartition partition : plan(jobExecution.getExecutionContext())) {
			partitions.put(partition.name(), ImportCursor.start(jobId, partition).toContext());
		}
		return partitions;
	}

	static List<ImportPartition> plan(ExecutionContext jobContext) {
		return ImportPartition.listFromJson(jobContext.getString(PLAN, "[]"));
	}
}
