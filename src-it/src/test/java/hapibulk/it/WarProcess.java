package hapibulk.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The packaged sample WAR, started as users start it: {@code java -jar hapi-bulk-starter.war}. */
public final class WarProcess implements AutoCloseable {

	/**
	 * HAPI starts in about 80 s alone on 2 shared cores, and took over 4 minutes for a cluster node restarted while
	 * two others imported: a time-out says "it will not start", not "it is slow".
	 */
	private static final Duration START_TIMEOUT = Duration.ofMinutes(8);

	private final Process process;
	private final Path log;
	private final FhirHttp http;
	private final Duration startupTime;
	private final int managementPort;

	private WarProcess(Process process, Path log, FhirHttp http, Duration startupTime, int managementPort) {
		this.process = process;
		this.log = log;
		this.http = http;
		this.startupTime = startupTime;
		this.managementPort = managementPort;
	}

	public static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** Starts the WAR and waits until {@code /fhir/metadata} answers. */
	public static WarProcess start(Path workDir, int port, ItDatabase database, String... extraArguments)
			throws IOException, InterruptedException {
		return start(workDir, port, database, List.of(), new FhirHttp("http://localhost:" + port + "/fhir"),
				extraArguments);
	}

	/**
	 * @param jvmArguments options for the server's JVM
	 * @param http         how to reach it (its base URL and HTTP client): the readiness probe uses it
	 */
	public static WarProcess start(Path workDir, int port, ItDatabase database, List<String> jvmArguments,
			FhirHttp http, String... extraArguments) throws IOException, InterruptedException {
		Launched launched = launch(workDir, port, database, jvmArguments, extraArguments);
		Process process = launched.process();
		Instant started = Instant.now();
		Instant deadline = started.plus(START_TIMEOUT);
		while (Instant.now().isBefore(deadline)) {
			if (!process.isAlive()) {
				throw new IllegalStateException("The server exited with " + process.exitValue() + "; see " + launched.log());
			}
			if (answers(http)) {
				return new WarProcess(process, launched.log(), http, Duration.between(started, Instant.now()),
						launched.managementPort());
			}
			Thread.sleep(500);
		}
		process.destroyForcibly();
		throw new IllegalStateException("The server did not answer within " + START_TIMEOUT + "; see " + launched.log());
	}

	/**
	 * How a start that must fail ended: whether the process exited and with what, whether {@code /fhir/metadata}
	 * ever answered 200 before, how long it took, and everything it printed.
	 */
	public record Refused(boolean exited, int exitValue, boolean answered, Duration after, String output) {}

	/**
	 * Starts the WAR with settings it must refuse, and watches it until it exits, answers {@code metadata} (then it
	 * is killed at once: the start was not refused) or {@code timeout} passes (killed too). A refusal costs what
	 * the server takes to reach its check, not {@link #START_TIMEOUT}.
	 */
	public static Refused startExpectingRefusal(Path workDir, ItDatabase database, Duration timeout,
			String... extraArguments) throws IOException, InterruptedException {
		int port = freePort();
		FhirHttp http = new FhirHttp("http://localhost:" + port + "/fhir");
		Launched launched = launch(workDir, port, database, List.of(), extraArguments);
		Process process = launched.process();
		Instant started = Instant.now();
		boolean answered = false;
		while (process.isAlive() && !answered && Instant.now().isBefore(started.plus(timeout))) {
			answered = answers(http);
			process.waitFor(500, TimeUnit.MILLISECONDS);
		}
		Duration after = Duration.between(started, Instant.now());
		boolean exited = !process.isAlive();
		if (!exited) {
			process.destroyForcibly().waitFor();
		}
		return new Refused(exited, exited ? process.exitValue() : -1, answered, after, Files.readString(launched.log()));
	}

	private record Launched(Process process, Path log, int managementPort) {}

	private static Launched launch(Path workDir, int port, ItDatabase database, List<String> jvmArguments,
			String... extraArguments) throws IOException {
		Path war = Path.of(System.getProperty("hapibulk.war", "../hapi-bulk-starter-war/target/hapi-bulk-starter.war"));
		if (!Files.isRegularFile(war)) {
			throw new IllegalStateException("Build the WAR first: " + war.toAbsolutePath());
		}
		Files.createDirectories(workDir);
		Path log = Files.createTempFile(workDir, "server-", ".log");
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		// The sample serves /actuator on a port of its own (9091 by default): one free port per process, so that
		// servers started side by side (ClusterIT, other builds on the machine) do not compete for it.
		int managementPort = freePort();
		List<String> command = new ArrayList<>(List.of(java, "-Xmx1g"));
		// The build's test JVM options (C1 and the serial collector: about half a start's CPU on two cores, where
		// two ITs start servers side by side); none when an IT runs outside Maven.
		Arrays.stream(System.getProperty("hapibulk.test.jvm-options", "").split("\\s+"))
				.filter(option -> !option.isBlank()).forEach(command::add);
		command.addAll(jvmArguments);
		command.addAll(List.of("-jar", war.toAbsolutePath().toString(),
				"--server.port=" + port,
				"--spring.datasource.url=" + database.url(),
				"--spring.datasource.username=" + database.user(),
				"--spring.datasource.password=",
				"--hapi.bulk.file-directory=" + workDir.resolve("bulk-files").toAbsolutePath(),
				"--management.server.port=" + managementPort));
		command.addAll(List.of(extraArguments));
		Process process = new ProcessBuilder(command)
				.directory(workDir.toFile())
				.redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
		return new Launched(process, log, managementPort);
	}

	private static boolean answers(FhirHttp http) {
		try {
			return http.get("metadata", "Accept", "application/fhir+json").statusCode() == 200;
		} catch (UncheckedIOException notYet) {
			return false; // not listening yet
		}
	}

	public FhirHttp http() {
		return http;
	}

	/** The base of the management endpoints ({@code /actuator}), on their own port and the loopback interface. */
	public String managementBase() {
		return "http://127.0.0.1:" + managementPort + "/actuator";
	}

	public Duration startupTime() {
		return startupTime;
	}

	public Path log() {
		return log;
	}

	/** Kills the process at once (SIGKILL): no shutdown hooks, no graceful stop. */
	public void kill() throws InterruptedException {
		process.destroyForcibly().waitFor();
	}

	/** Stops it as an operator would (SIGTERM), forcibly if it takes longer than a minute. */
	@Override
	public void close() throws InterruptedException {
		process.destroy();
		if (!process.waitFor(1, TimeUnit.MINUTES)) {
			process.destroyForcibly().waitFor();
		}
	}
}
