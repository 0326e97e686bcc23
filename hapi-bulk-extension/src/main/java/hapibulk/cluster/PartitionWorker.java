package hapibulk.cluster;

import hapibulk.job.BulkJobKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.NoSuchStepException;
import org.springframework.batch.core.step.StepLocator;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.batch.integration.partition.StepExecutionRequestHandler;

import java.nio.charset.StandardCharsets;

/**
 * Runs the partitions this node takes from the shared queue, with Spring Batch's
 * {@link StepExecutionRequestHandler}: the partition's step execution is read from the shared job repository
 * (with its saved position) and run by this node's worker step of that name. The listener container
 * acknowledges the request only after the step has ended, so a request of a node that dies goes back to the
 * queue. Each partition records the node that ran it in its execution context ({@link BulkJobKeys#PARTITION_NODE}).
 * <p>
 * A request is run only while its partition is still to do (starting, started, stopping): a request handed out
 * again after its partition ended (its node died after the last commit, before the acknowledgement), or whose
 * execution another node has since marked failed (a takeover), is dropped.
 */
public class PartitionWorker implements MessageListener {

	/** The execution-context key under which a partition records the node that last ran it. */

	private static final Logger log = LoggerFactory.getLogger(PartitionWorker.class);

	private final JobExplorer jobExplorer;
	private final StepExecutionRequestHandler handler = new StepExecutionRequestHandler();
	private final NodeDrain drain;
	private final String nodeId;

	public PartitionWorker(JobExplorer jobExplorer, JobRepository jobRepository, StepLocator workerSteps,
			NodeDrain drain, String nodeId) {
		this.jobExplorer = jobExplorer;
		this.drain = drain;
		this.nodeId = nodeId;
		handler.setJobExplorer(jobExplorer);
		handler.setStepLocator(new NodeRecordingSteps(workerSteps, jobRepository, drain, nodeId));
	}

	@Override
	public void onMessage(Message message) {
		StepExecutionRequest request;
		try {
			request = PartitionRequestText.read(new String(message.getBody(), StandardCharsets.UTF_8));
		} catch (IllegalArgumentException e) {
			throw new AmqpRejectAndDontRequeueException(e.getMessage(), e);
		}
		if (drain.draining()) {
			throw new ImmediateRequeueAmqpException("Node " + nodeId + " is stopping: the request goes back to the queue");
		}
		StepExecution partition = jobExplorer.getStepExecution(request.getJobExecutionId(), request.getStepExecutionId());
		if (partition == null || !partition.getStatus().isRunning()) {
			log.info("Dropping the request for partition {}: it is {}", request,
					partition == null ? "unknown" : partition.getStatus());
			return;
		}
		log.info("Node {} runs partition {} (step execution {} version {}, {}{})", nodeId, partition.getStepName(),
				partition.getId(), partition.getVersion(), partition.getStatus(),
				message.getMessageProperties().isRedelivered() ? ", handed out again" : "");
		try {
			StepExecution ended = handler.handle(request);
			log.info("Node {} ended partition {}: {}", nodeId, ended.getStepName(), ended.getStatus());
			if (ended.getStatus() == BatchStatus.STARTING) {
				throw new ImmediateRequeueAmqpException("Node " + nodeId + " stopped: partition " + ended.getStepName()
						+ " goes back to the queue");
			}
		} catch (NoSuchStepException e) {
			// This node does not know the step (an older or newer version of the extension): never loop on it.
			throw new AmqpRejectAndDontRequeueException(e.getMessage(), e);
		}
	}
}
