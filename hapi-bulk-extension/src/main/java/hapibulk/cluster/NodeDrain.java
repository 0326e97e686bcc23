package hapibulk.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.context.SmartLifecycle;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A worker node that is shut down normally (a rolling deploy, a scale-in) hands its partitions back instead of
 * failing them: when the node stops, each partition it runs is asked to end at its next chunk boundary (Spring
 * Batch's terminate-only, after the chunk has committed), and, as that partition ends, it is recorded as
 * STARTING again rather than STOPPED, in the same repository update that ends it, so the node running the job
 * never sees it ended. Its request then goes back to the queue (the listener refuses it), and another node
 * resumes it from its last committed chunk.
 * <p>
 * Stops before the queue's listener container ({@link #PHASE} is above the container's), which then waits for the
 * partitions to reach their chunk boundary. A partition whose job is being stopped (a client's cancel) ends
 * STOPPED as always.
 */
public class NodeDrain implements SmartLifecycle, StepExecutionListener {

	/** Above the listener container's phase: this stops first. */
	static final int PHASE = Integer.MAX_VALUE;
	static final String HANDED_BACK = "HANDED_BACK";

	private static final Logger LOG = LoggerFactory.getLogger(NodeDrain.class);

	private final JobExplorer jobExplorer;
	private final String nodeId;
	private final Map<Long, StepExecution> running = new ConcurrentHashMap<>();
	private volatile boolean draining;
	private volatile boolean started;

	public NodeDrain(JobExplorer jobExplorer, String nodeId) {
		this.jobExplorer = jobExplorer;
		this.nodeId = nodeId;
	}

	boolean draining() {
		return draining;
	}

	void running(StepExecution partition) {
		running.put(partition.getId(), partition);
	}

	void ended(StepExecution partition) {
		running.remove(partition.getId());
	}

	@Override
	public ExitStatus afterStep(StepExecution partition) {
		if (!draining || partition.getStatus() != BatchStatus.STOPPED || !running.containsKey(partition.getId())) {
			return null;
		}
		JobExecution job = jobExplorer.getJobExecution(partition.getJobExecutionId());
		if (job == null || job.getStatus() != BatchStatus.STARTED) {
			// stopped by a cancel (or taken over): it ends STOPPED
			return null;
		}
		partition.setStatus(BatchStatus.STARTING);
		LOG.info("Node {} stops: partition {} handed back at its committed position", nodeId, partition.getStepName());
		return new ExitStatus(HANDED_BACK, "Node " + nodeId + " stopped; another node resumes the partition");
	}

	@Override
	public void start() {
		started = true;
	}

	/** Asks every partition of this node to end after its current chunk; the container then waits for them. */
	@Override
	public void stop() {
		draining = true;
		started = false;
		if (!running.isEmpty()) {
			LOG.info("Node {} stops: handing {} running partitions back to the queue after their current chunk",
					nodeId, running.size());
		}
		running.values().forEach(StepExecution::setTerminateOnly);
	}

	@Override
	public boolean isRunning() {
		return started;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}
}
