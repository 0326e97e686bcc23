package hapibulk.job;

import org.springframework.batch.item.ExecutionContext;

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
}
