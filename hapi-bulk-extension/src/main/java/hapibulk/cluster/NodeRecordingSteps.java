package hapibulk.cluster;

import hapibulk.job.BulkJobKeys;
import org.springframework.batch.core.JobInterruptedException;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.NoSuchStepException;
import org.springframework.batch.core.step.StepLocator;

import java.util.Collection;

/**
 * The worker steps, each recording this node in a partition's execution context before running it, stored at
 * once: it tells an operator (and the cluster test) which node ran which part, and a node taking over a dead
 * node's job that this partition runs on a live node ({@code LostExecutionTakeover}).
 */
final class NodeRecordingSteps implements StepLocator {

	private final StepLocator steps;
	private final JobRepository jobRepository;
	private final NodeDrain drain;
	private final String nodeId;

	NodeRecordingSteps(StepLocator steps, JobRepository jobRepository, NodeDrain drain, String nodeId) {
		this.steps = steps;
		this.jobRepository = jobRepository;
		this.drain = drain;
		this.nodeId = nodeId;
	}

	@Override
	public Collection<String> getStepNames() {
		return steps.getStepNames();
	}

	@Override
	public Step getStep(String stepName) throws NoSuchStepException {
		Step step = steps.getStep(stepName);
		return new Step() {
			@Override
			public String getName() {
				return step.getName();
			}

			@Override
			public boolean isAllowStartIfComplete() {
				return step.isAllowStartIfComplete();
			}

			@Override
			public int getStartLimit() {
				return step.getStartLimit();
			}

			@Override
			public void execute(StepExecution partition) throws JobInterruptedException {
				partition.getExecutionContext().putString(BulkJobKeys.PARTITION_NODE, nodeId);
				jobRepository.updateExecutionContext(partition);
				// a partition handed back by a stopping node carries its HANDED_BACK exit code: start afresh
				partition.setExitStatus(ExitStatus.EXECUTING);
				drain.running(partition);
				try {
					step.execute(partition);
				} finally {
					drain.ended(partition);
				}
			}
		};
	}
}
