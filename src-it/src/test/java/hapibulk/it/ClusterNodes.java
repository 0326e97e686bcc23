package hapibulk.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The cluster test's nodes: one WAR process each ({@code java -jar}), with a port and a node id of its own, all
 * on one database, one RabbitMQ queue and one bucket. A slot ("a", "b", "c") holds one node at a time: a killed
 * node is replaced by a new process in the same slot, which may start in the background while the test goes on.
 */
final class ClusterNodes implements AutoCloseable {

	/** A running node: its id in the cluster and its process. */
	record Node(String id, WarProcess process) {
		FhirHttp http() {
			return process.http();
		}

		/** The same status (or file) URL, asked of this node. */
		String url(String urlOnAnotherNode) {
			return http().base() + urlOnAnotherNode.substring(urlOnAnotherNode.indexOf("/$"));
		}
	}

	private final Path workDir;
	private final ItDatabase database;
	private final List<String> sharedArguments;
	private final Map<String, CompletableFuture<Node>> slots = new LinkedHashMap<>();
	/** Starts run side by side (the common pool has one thread on two cores). */
	private final ExecutorService starter = Executors.newCachedThreadPool(runnable -> {
		Thread thread = new Thread(runnable, "cluster-node-start");
		thread.setDaemon(true);
		return thread;
	});
	private int replacements;

	private ClusterNodes(Path workDir, ItDatabase database, List<String> sharedArguments) {
		this.workDir = workDir;
		this.database = database;
		this.sharedArguments = sharedArguments;
	}

	/**
	 * Starts one node per slot and waits until every one answers: the first alone, since it makes the schema
	 * of the fresh database (HAPI's Hibernate schema update is not safe with several processes at once: they
	 * collide on its sequences and on its resource-type rows), then the others at once.
	 */
	static ClusterNodes start(Path workDir, ItDatabase database, List<String> sharedArguments, String... slots) {
		ClusterNodes nodes = new ClusterNodes(workDir, database, sharedArguments);
		try {
			for (String slot : slots) {
				nodes.slots.put(slot, nodes.startInBackground("node-" + slot));
				if (slot.equals(slots[0])) {
					nodes.node(slot);
				}
			}
			for (String slot : slots) {
				nodes.node(slot);
			}
			return nodes;
		} catch (RuntimeException e) {
			nodes.close();
			throw e;
		}
	}

	/** The node in a slot, waiting for it if it is still starting. */
	Node node(String slot) {
		try {
			return slots.get(slot).join();
		} catch (CompletionException e) {
			throw new IllegalStateException("Node " + slot + " did not start", e.getCause());
		}
	}

	/** Kills the slot's node (SIGKILL) and starts a new process with a new node id there, in the background. */
	Node killAndReplace(String slot) throws InterruptedException {
		Node killed = kill(slot);
		slots.put(slot, startInBackground("node-" + slot + "-r" + (++replacements)));
		return killed;
	}

	/** Kills the slot's node (SIGKILL) and leaves the slot empty (the last scenarios need no replacement). */
	Node kill(String slot) throws InterruptedException {
		Node killed = node(slot);
		killed.process().kill();
		slots.put(slot, CompletableFuture.failedFuture(new IllegalStateException(killed.id() + " was killed")));
		return killed;
	}

	/**
	 * Stops the slot's node as an operator does (SIGTERM, waiting until it exited) and starts it again under the
	 * same node id, in the background: the future completes once it answers.
	 */
	CompletableFuture<Node> restart(String slot) throws InterruptedException {
		Node stopped = node(slot);
		stopped.process().close();
		CompletableFuture<Node> restarted = startInBackground(stopped.id());
		slots.put(slot, restarted);
		return restarted;
	}

	private CompletableFuture<Node> startInBackground(String nodeId) {
		List<String> arguments = new ArrayList<>(sharedArguments);
		arguments.add("--hapi.bulk.cluster.node-id=" + nodeId);
		int port = WarProcess.freePort();
		Path nodeDir = workDir.resolve(nodeId);
		return CompletableFuture.supplyAsync(() -> {
			try {
				return new Node(nodeId, WarProcess.start(nodeDir, port, database, arguments.toArray(String[]::new)));
			} catch (Exception e) {
				throw new CompletionException(e);
			}
		}, starter);
	}

	@Override
	public void close() {
		for (CompletableFuture<Node> slot : slots.values()) {
			try {
				slot.join().process().close();
			} catch (Exception e) {
				// a node that did not start has nothing to stop
			}
		}
	}
}
