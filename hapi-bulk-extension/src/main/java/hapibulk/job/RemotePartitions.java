package hapibulk.job;

import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.partition.PartitionHandler;

import java.util.List;

/**
 * Where a job's partitions run when they are spread over the nodes (cluster mode): a partition handler
 * that hands each partition to whichever node takes it and waits for them in the shared job repository.
 * {@link BulkJobFrame} uses it, if one exists, instead of this node's worker pool.
 */
public interface RemotePartitions {

	/** @param workerStepName the worker step a node runs for each partition (see {@link BulkJobFrame#workerSteps}) */
	PartitionHandler handler(String workerStepName, PartitionWaves waves) throws Exception;

	/** Listeners every worker step gets in cluster mode (a node handing its partitions back when it stops). */
	default List<StepExecutionListener> workerListeners() {
		return List.of();
	}
}
