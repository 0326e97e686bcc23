package hapibulk.cluster;

import hapibulk.job.PartitionWaves;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.batch.integration.partition.MessageChannelPartitionHandler;
import org.springframework.integration.core.MessagingTemplate;

import java.time.Duration;
import java.util.Set;

/**
 * Spring Batch's remote partitioning, wave by wave: each partition of a wave is sent as a request to the
 * shared queue, for any node to run, and the wave is over when the shared job repository shows every one of
 * its partitions ended (no reply channel: the database is the reply). The next wave is sent only once every
 * partition of this one completed, as on a single node.
 * <p>
 * A node that dies while it runs a partition never acknowledged the request, so RabbitMQ hands it to another
 * node, which resumes the partition from the position its last committed chunk saved.
 */
public class RemotePartitionHandler extends MessageChannelPartitionHandler {

	private final PartitionWaves waves;

	public RemotePartitionHandler(PartitionQueue queue, JobExplorer jobExplorer, String workerStepName,
			PartitionWaves waves, Duration pollInterval) throws Exception {
		this.waves = waves;
		setStepName(workerStepName);
		setMessagingOperations(new MessagingTemplate(queue));
		setJobExplorer(jobExplorer);
		setPollInterval(pollInterval.toMillis());
		afterPropertiesSet();
	}

	@Override
	protected Set<StepExecution> doHandle(StepExecution managerStepExecution, Set<StepExecution> partitions)
			throws Exception {
		return waves.runInWaves(partitions, wave -> super.doHandle(managerStepExecution, wave));
	}
}
