package hapibulk.export.job;

import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.repeat.RepeatStatus;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * First step: decides which types have resources to export and how many, for the partitions and
 * for the progress the status URL reports. The plan goes into the job's execution context, so a
 * restarted job keeps the partitions it started with.
 */
class ExportPlanTasklet implements Tasklet {

	private final StoredResourceReader reader;
	private final BulkJobTable table;

	ExportPlanTasklet(StoredResourceReader reader, BulkJobTable table) {
		this.reader = reader;
		this.table = table;
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) {
		var stepExecution = chunkContext.getStepContext().getStepExecution();
		JobParameters parameters = stepExecution.getJobParameters();
		List<String> requested = Arrays.stream(parameters.getString(ExportJobKeys.TYPES, "").split(","))
				.filter(type -> !type.isBlank())
				.toList();
		Map<String, Long> counts = reader.countByType(parameters.getLong(ExportJobKeys.SINCE));
		List<String> planned = counts.keySet().stream()
				.filter(type -> requested.isEmpty() || requested.contains(type))
				.sorted()
				.toList();
		long total = planned.stream().mapToLong(counts::get).sum();
		stepExecution.getJobExecution().getExecutionContext().putString(ExportJobKeys.PLANNED_TYPES,
				String.join(",", planned));
		table.setProgressTotal(parameters.getString(BulkJobKeys.BULK_JOB_ID), total);
		return RepeatStatus.FINISHED;
	}

	static List<String> plannedTypes(org.springframework.batch.item.ExecutionContext jobContext) {
		String planned = jobContext.getString(ExportJobKeys.PLANNED_TYPES, "");
		return planned.isEmpty() ? List.of() : List.of(planned.split(","));
	}
}
