package hapibulk.job;

import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.item.ExecutionContext;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a job's partitions are ordered: partitions of a lower wave all complete before any of the next
 * starts (an import stores referenced types first); partitions of one wave run in parallel.
 */
@FunctionalInterface
public interface PartitionWaves {

	/** Every partition at once: the export's partitions do not depend on each other. */
	PartitionWaves ONE_WAVE = partition -> 0;

	/** @param partition the partition's starting (or, on a restart, saved) execution context */
	int wave(ExecutionContext partition);

	/** Runs one wave of partitions (on this node's pool, or on the cluster's nodes) and returns them ended. */
	@FunctionalInterface
	interface WaveRunner {
		Set<StepExecution> run(Set<StepExecution> wave) throws Exception;
	}

	/**
	 * Runs the partitions wave by wave with {@code runner}. A wave that did not complete (failed, or stopped
	 * by a cancel) ends the step there; a restart goes on from it.
	 */
	default Set<StepExecution> runInWaves(Set<StepExecution> partitions, WaveRunner runner) throws Exception {
		TreeMap<Integer, Set<StepExecution>> byWave = new TreeMap<>();
		for (StepExecution partition : partitions) {
			byWave.computeIfAbsent(wave(partition.getExecutionContext()), w -> new HashSet<>()).add(partition);
		}
		Set<StepExecution> results = new HashSet<>();
		for (Set<StepExecution> wave : byWave.values()) {
			Set<StepExecution> done = runner.run(wave);
			results.addAll(done);
			if (done.stream().anyMatch(execution -> execution.getStatus() != BatchStatus.COMPLETED)) {
				// Later waves may depend on this one; the unstarted partitions stay for a restart.
				break;
			}
		}
		return results;
	}
}
