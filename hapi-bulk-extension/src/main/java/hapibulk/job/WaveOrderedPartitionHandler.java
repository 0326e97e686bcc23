package hapibulk.job;

import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;

import java.util.Set;

/**
 * Runs the partitions on this node's worker pool, wave by wave ({@link PartitionWaves#runInWaves}): the
 * partitions of one wave in parallel, the next wave only once every partition of this one completed.
 * With one wave (the export) this is Spring Batch's {@link TaskExecutorPartitionHandler} unchanged.
 */
public class WaveOrderedPartitionHandler extends TaskExecutorPartitionHandler {

	private final PartitionWaves waves;

	public WaveOrderedPartitionHandler(PartitionWaves waves) {
		this.waves = waves;
	}

	@Override
	protected Set<StepExecution> doHandle(StepExecution managerStepExecution, Set<StepExecution> partitions)
			throws Exception {
		return waves.runInWaves(partitions, wave -> super.doHandle(managerStepExecution, wave));
	}
}
