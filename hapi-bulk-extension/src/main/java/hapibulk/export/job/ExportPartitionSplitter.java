package hapibulk.export.job;

import hapibulk.job.BulkJobKeys;
import org.springframework.batch.core.JobExecutionException;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.partition.support.SimpleStepExecutionSplitter;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One partition per planned filter. Spring Batch's own splitter does the bookkeeping (on a restart
 * it skips finished partitions and resumes the others from their saved context); this class only
 * supplies the partitions, which come from the job's plan rather than from a step-scoped
 * partitioner.
 */
class ExportPartitionSplitter implements StepExecutionSplitter {

	private final JobRepository jobRepository;
	private final String workerStepName;

	ExportPartitionSplitter(JobRepository jobRepository, String workerStepName) {
		this.jobRepository = jobRepository;
		this.workerStepName = workerStepName;
	}

	@Override
	public String getStepName() {
		return workerStepName;
	}

	@Override
	public Set<StepExecution> split(StepExecution managerStep, int gridSize) throws JobExecutionException {
		var jobExecution = managerStep.getJobExecution();
		String jobId = jobExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
		List<ExportFilter> blockMembers = ExportPlanTasklet.blockMembers(jobExecution.getExecutionContext());
		for (ExportFilter filter : ExportPlanTasklet.plan(jobExecution.getExecutionContext())) {
			ExecutionContext context = ExportCursor.start(jobId, filter).toContext();
			if (!blockMembers.isEmpty() && !filter.deleted()) {
				PatientBlockExporter.writeMembers(context, blockMembers);
			}
			if (jobExecution.getExecutionContext().containsKey(ExportPlanTasklet.PARTIAL_MANIFESTS)) {
				FinishedFiles.turnOn(context);
			}
			partitions.put(filter.partitionName(), context);
		}
		SimpleStepExecutionSplitter delegate = new SimpleStepExecutionSplitter(jobRepository, false, workerStepName,
				size -> partitions);
		return delegate.split(managerStep, gridSize);
	}

	/** The name Spring Batch gives the worker step execution of a partition. */
	static String partitionStepName(String workerStepName, ExportFilter filter) {
		return workerStepName + ":" + filter.partitionName();
	}
}
