package hapibulk.job;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs the partitions wave by wave ({@link PartitionWaves}): the partitions of one wave in parallel on
 * the worker pool, the next wave only once every partition of this one completed. A wave that did not
 * complete (failed, or stopped by a cancel) ends the step there; a restart goes on from it. With one
 * wave (the export) this is Spring Batch's {@link TaskExecutorPartitionHandler} unchanged.
 */
public class WaveOrderedPartitionHandler extends TaskExecutorPartitionHandler {

	private final PartitionWaves waves;

	public WaveOrderedPartitionHandler(PartitionWaves waves) {
		this.waves = waves;
	}

	@Override
	protected Set<StepExecution> doHandle(StepExecution managerStepExecution, Set<StepExecution> partitions)
			throws Exception {
		TreeMap<Integer, Set<StepExecution>> byWave = new TreeMap<>();
		for (StepExecution partition : partitions) {
			int wave = waves.wave(partition.getExecutionContext());
			byWave.computeIfAbsent(wave, w -> new HashSet<>()).add(partition);
		}
		Set<StepExecution> results = new HashSet<>();
		for (Set<StepExecution> wave : byWave.values()) {
			Set<StepExecution> done = super.doHandle(managerStepExecution, wave);
			results.addAll(done);
			if (done.stream().anyMatch(execution -> execution.getStatus() != BatchStatus.COMPLETED)) {
				// Later waves may depend on this one; the unstarted partitions stay for a restart.
				break;
			}
		}
		return results;
	}
}
