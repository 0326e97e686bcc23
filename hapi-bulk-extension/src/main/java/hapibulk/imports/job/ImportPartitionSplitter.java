package hapibulk.imports.job;

import hapibulk.job.BulkJobKeys;
import org.springframework.batch.core.JobExecutionException;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.partition.support.SimpleStepExecutionSplitter;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.item.ExecutionContext;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One partition per planned input. Spring Batch's own splitter does the bookkeeping: on a restart
 * it skips finished partitions and resumes the others from their committed cursor.
 */
class ImportPartitionSplitter implements StepExecutionSplitter {

	private final JobRepository jobRepository;
	private final String workerStepName;

	ImportPartitionSplitter(JobRepository jobRepository, String workerStepName) {
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
		for (ImportPartition partition : ImportPlanTasklet.plan(jobExecution.getExecutionContext())) {
			partitions.put(partition.name(), ImportCursor.start(jobId, partition).toContext());
		}
		return new SimpleStepExecutionSplitter(jobRepository, false, workerStepName, size -> partitions)
				.split(managerStep, gridSize);
	}

	static String partitionStepName(String workerStepName, ImportPartition partition) {
		return workerStepName + ":" + partition.name();
	}
}
