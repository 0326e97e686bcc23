package hapibulk.cluster;

import hapibulk.job.NodeLease;
import hapibulk.support.BulkErrors;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.UUID;

/**
 * {@code hapi.bulk.cluster.*}: how nodes sharing one database tell each other they are alive, and whether
 * the partitions of a job are spread over them (remote partitioning over RabbitMQ, docs/cluster.md).
 *
 * @param nodeId        this node's id in the lease table and on the jobs it runs; unset, the host name plus
 *                      a random suffix, new at every start. A node restarted with the same id resumes its
 *                      own jobs at once; with a new one, once its previous lease has expired
 * @param leaseDuration how long a node's lease lasts without a heartbeat (renewed every third of it); a
 *                      node silent for longer is taken for dead and its jobs are taken over
 * @param enabled       whether partitions are sent to the nodes' shared RabbitMQ queue, for any node to run;
 *                      false (default): every job runs all its partitions on the node that runs the job
 * @param worker        with enabled: whether this node also runs partitions from the queue; false makes
 *                      an accept-only node (it plans jobs and writes manifests, others do the partitions)
 * @param queue         the durable RabbitMQ queue the nodes share for partition requests
 * @param pollInterval  how often the node that runs a job looks in the job repository for finished partitions
 */
public record ClusterSettings(
		String nodeId,
		@DefaultValue("30s") Duration leaseDuration,
		@DefaultValue("false") boolean enabled,
		@DefaultValue("true") boolean worker,
		@DefaultValue("hapi-bulk.partitions") String queue,
		@DefaultValue("1s") Duration pollInterval) {

	/** Fits the lease table's and job table's NODE_ID columns. */
	static final int MAX_NODE_ID_LENGTH = NodeLease.MAX_NODE_ID_LENGTH;

	public ClusterSettings {
		if (nodeId != null && (nodeId.isBlank() || nodeId.length() > MAX_NODE_ID_LENGTH)) {
			throw new IllegalArgumentException(BulkErrors.code(650) + "hapi.bulk.cluster.node-id must be 1 to "
					+ MAX_NODE_ID_LENGTH + " characters; leave it unset for a generated one");
		}
		if (leaseDuration == null || leaseDuration.compareTo(Duration.ofSeconds(1)) < 0) {
			throw new IllegalArgumentException(BulkErrors.code(651)
					+ "hapi.bulk.cluster.lease-duration must be at least 1s (a heartbeat runs every third of it)");
		}
		if (enabled && (queue == null || queue.isBlank() || queue.length() > MAX_QUEUE_LENGTH)) {
			throw new IllegalArgumentException(BulkErrors.code(700) + "hapi.bulk.cluster.queue must be 1 to "
					+ MAX_QUEUE_LENGTH + " characters (a RabbitMQ queue name)");
		}
		if (enabled && (pollInterval == null || pollInterval.toMillis() < 10)) {
			throw new IllegalArgumentException(BulkErrors.code(701)
					+ "hapi.bulk.cluster.poll-interval must be at least 10ms");
		}
	}

	/** RabbitMQ's limit for a queue name (bytes of UTF-8; we count characters and stay below). */
	static final int MAX_QUEUE_LENGTH = 255;

	public static ClusterSettings defaults() {
		return new ClusterSettings(null, Duration.ofSeconds(30), false, true, "hapi-bulk.partitions",
				Duration.ofSeconds(1));
	}

	/** The configured id, or the host name plus a random suffix: never the same for two processes. */
	public String nodeIdOrGenerated() {
		if (nodeId != null) {
			return nodeId;
		}
		String suffix = UUID.randomUUID().toString().substring(0, 8);
		String host = hostName();
		return host.substring(0, Math.min(host.length(), MAX_NODE_ID_LENGTH - suffix.length() - 1)) + "-" + suffix;
	}

	/** Heartbeats run three times per lease, so one late or failed heartbeat loses nothing. */
	public Duration heartbeatInterval() {
		return leaseDuration.dividedBy(3);
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		} catch (UnknownHostException e) {
			return "node";
		}
	}
}
