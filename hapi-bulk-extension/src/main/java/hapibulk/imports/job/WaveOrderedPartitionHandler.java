package hapibulk.imports.job;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs the partitions wave by wave (see {@link ImportTypeOrder}): the inputs of one wave in
 * parallel on the worker pool, the next wave only once every partition of this one completed. A
 * wave that did not complete (failed, or stopped by a cancel) ends the step there; a restart goes on
 * from it.
 */
class WaveOrderedPartitionHandler extends TaskExecutorPartitionHandler {

	@Override
	protected Set<StepExecution> doHandle(StepExecution managerStepExecution, Set<StepExecution> partitions)
			throws Exception {
		TreeMap<Integer, Set<StepExecution>> waves = new TreeMap<>();
		for (StepExecution partition : partitions) {
			int wave = ImportCursor.from(partition.getExecutionContext()).partition().wave();
			waves.computeIfAbsent(wave, w -> new HashSet<>()).add(partition);
		}
		Set<StepExecution> results = new HashSet<>();
		for (Set<StepExecution> wave : waves.values()) {
			Set<StepExecution> done = super.doHandle(managerStepExecution, wave);
			results.addAll(done);
			if (done.stream().anyMatch(execution -> execution.getStatus() != BatchStatus.COMPLETED)) {
				// Later waves would meet missing references; the unstarted partitions stay for a restart.
				break;
			}
		}
		return results;
	}
}
