package hapibulk.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One worker node of the cluster benchmark: the sample WAR started as an operator starts it
 * ({@code java -jar hapi-bulk-starter.war}), on the benchmark's PostgreSQL database, in cluster mode on the
 * run's RabbitMQ queue, its files in the benchmark's S3 server. Ready when {@code /fhir/metadata} answers.
 */
final class ClusterWorker implements AutoCloseable {

	private static final Duration START_TIMEOUT = Duration.ofMinutes(5);

	private final String name;
	private final Process process;
	private final Path log;

	private ClusterWorker(String name, Process process, Path log) {
		this.name = name;
		this.process = process;
		this.log = log;
	}

	/**
	 * @param settings every {@code --name=value} the node gets beyond its database, port and directory
	 *                 (cluster, RabbitMQ, S3, import sources)
	 */
	static ClusterWorker start(String name, Path war, Path workDir, BenchDatabase database, String jvmArgs,
			Map<String, String> settings) throws IOException, InterruptedException {
		if (!Files.isRegularFile(war)) {
			throw new IllegalStateException("Build the WAR first (the bench module's -am does): " + war.toAbsolutePath());
		}
		Files.createDirectories(workDir);
		Path log = workDir.resolve(name + ".log");
		int port = freePort();
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(List.of(jvmArgs.trim().split("\\s+")));
		command.addAll(List.of("-jar", war.toAbsolutePath().toString(),
				"--server.port=" + port,
				"--spring.datasource.url=" + database.url(),
				"--spring.datasource.username=" + database.user(),
				"--spring.datasource.password=",
				"--hapi.bulk.file-directory=" + workDir.resolve(name + "-files").toAbsolutePath(),
				"--hapi.bulk.cluster.node-id=" + name));
		settings.forEach((key, value) -> command.add("--" + key + "=" + value));
		Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
				.redirectOutput(log.toFile()).start();
		ClusterWorker worker = new ClusterWorker(name, process, log);
		worker.awaitReady(port);
		return worker;
	}

	String name() {
		return name;
	}

	long pid() {
		return process.pid();
	}

	/** CPU seconds this process has used since it started (negative when unknown). */
	double cpuSeconds() {
		return ProcessCpu.seconds(process.pid());
	}

	private void awaitReady(int port) throws InterruptedException {
		HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		HttpRequest metadata = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/fhir/metadata"))
				.header("Accept", "application/fhir+json").timeout(Duration.ofSeconds(60)).build();
		Instant deadline = Instant.now().plus(START_TIMEOUT);
		while (Instant.now().isBefore(deadline)) {
			if (!process.isAlive()) {
				throw new IllegalStateException("Worker " + name + " exited with " + process.exitValue() + "; see " + log);
			}
			try {
				if (client.send(metadata, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
					return;
				}
			} catch (IOException notYet) {
				// not listening yet
			}
			Thread.sleep(500);
		}
		close();
		throw new IllegalStateException("Worker " + name + " did not answer within " + START_TIMEOUT + "; see " + log);
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** Stops it as an operator would (SIGTERM); forcibly after a minute. */
	@Override
	public void close() throws InterruptedException {
		process.destroy();
		if (!process.waitFor(1, TimeUnit.MINUTES)) {
			process.destroyForcibly().waitFor();
		}
	}
}
