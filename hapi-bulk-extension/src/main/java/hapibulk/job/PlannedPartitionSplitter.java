package hapibulk.job;

import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobExecutionException;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.partition.support.SimpleStepExecutionSplitter;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.item.ExecutionContext;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Partitions taken from the plan a job's first step stored in its execution context. Spring Batch's
 * own splitter does the bookkeeping (on a restart it skips finished partitions and resumes the
 * others from their saved context); this class only supplies the partitions, which a step-scoped
 * partitioner could not read from the job's plan.
 */
public class PlannedPartitionSplitter implements StepExecutionSplitter {

	private final JobRepository jobRepository;
	private final String workerStepName;
	private final Function<JobExecution, Map<String, ExecutionContext>> partitions;

	/** @param partitions each partition's name and starting context, in order, from the job's plan */
	public PlannedPartitionSplitter(JobRepository jobRepository, String workerStepName,
			Function<JobExecution, Map<String, ExecutionContext>> partitions) {
		this.jobRepository = jobRepository;
		this.workerStepName = workerStepName;
		this.partitions = partitions;
	}

	@Override
	public String getStepName() {
		return workerStepName;
	}

	@Override
	public Set<StepExecution> split(StepExecution managerStep, int gridSize) throws JobExecutionException {
		Map<String, ExecutionContext> planned = partitions.apply(managerStep.getJobExecution());
		return new SimpleStepExecutionSplitter(jobRepository, false, workerStepName, size -> planned)
				.split(managerStep, gridSize);
	}

	/** The name Spring Batch gives the worker step execution of a partition. */
	public static String partitionStepName(String workerStepName, String partitionName) {
		return workerStepName + ":" + partitionName;
	}
}
