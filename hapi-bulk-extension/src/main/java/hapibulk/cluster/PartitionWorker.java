package hapibulk.cluster;

import hapibulk.job.BulkJobKeys;
import hapibulk.job.PartitionClaims;
import hapibulk.support.BulkErrors;
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
import java.time.Duration;

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
 * <p>
 * A request is a message anyone who may publish to the queue can send, so it is checked before it runs: it must
 * name the worker step its partition belongs to, and the partition must be claimed in the job repository
 * ({@link PartitionClaims}): a partition another live node runs is never run a second time here.
 */
public class PartitionWorker implements MessageListener {

	/** How long a request for a partition another live node runs waits before it goes back to the queue. */
	static final Duration HELD_ELSEWHERE_PAUSE = Duration.ofSeconds(1);

	private static final Logger log = LoggerFactory.getLogger(PartitionWorker.class);

	private final JobExplorer jobExplorer;
	private final StepLocator workerSteps;
	private final PartitionClaims claims;
	private final StepExecutionRequestHandler handler = new StepExecutionRequestHandler();
	private final NodeDrain drain;
	private final String nodeId;

	public PartitionWorker(JobExplorer jobExplorer, JobRepository jobRepository, StepLocator workerSteps,
			PartitionClaims claims, NodeDrain drain, String nodeId) {
		this.jobExplorer = jobExplorer;
		this.workerSteps = workerSteps;
		this.claims = claims;
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
		requireWorkerStepOf(request, partition);
		if (!claims.claim(partition.getId())) {
			heldElsewhere(request, partition);
		}
		try {
			run(request, message);
		} finally {
			releaseQuietly(partition.getId());
		}
	}

	/**
	 * The request must name the worker step its partition was planned for (a partition's step execution is named
	 * {@code <worker step>:<partition>}), and a worker step of this node's jobs: a request naming another step (a
	 * forged or garbled message) would run that step's code on another job's partition context.
	 */
	private void requireWorkerStepOf(StepExecutionRequest request, StepExecution partition) {
		String step = request.getStepName();
		if (!workerSteps.getStepNames().contains(step) || !partition.getStepName().startsWith(step + ":")) {
			String problem = BulkErrors.code(705) + "Refusing partition request " + request + ": step execution "
					+ partition.getId() + " is partition " + partition.getStepName() + ", not one of worker step " + step;
			log.warn(problem);
			throw new AmqpRejectAndDontRequeueException(problem);
		}
	}

	/**
	 * Another live process runs the partition: this request is not run. It goes back to the queue after a pause,
	 * not away: if that process dies before the partition ends, the request is what lets another node resume it
	 * once the dead node's lease has expired; once the partition has ended, the request is dropped.
	 */
	private void heldElsewhere(StepExecutionRequest request, StepExecution partition) {
		log.warn("{}Node {} does not run partition {} (step execution {}): node {} has claimed it and holds a live"
				+ " lease; the request goes back to the queue", BulkErrors.code(706), nodeId, partition.getStepName(),
				partition.getId(), claims.holder(partition.getId()).orElse("(released meanwhile)"));
		try {
			Thread.sleep(HELD_ELSEWHERE_PAUSE.toMillis());
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		throw new ImmediateRequeueAmqpException("Partition " + request + " is claimed by another node");
	}

	private void run(StepExecutionRequest request, Message message) {
		// read again under the claim: the partition may have ended between the first read and the claim
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

	/** A claim left behind (the database away) is void once this process's lease lapses. */
	private void releaseQuietly(long stepExecutionId) {
		try {
			claims.release(stepExecutionId);
		} catch (RuntimeException e) {
			log.warn("Node {} could not release its claim of step execution {}: {}", nodeId, stepExecutionId,
					e.toString());
		}
	}
}
