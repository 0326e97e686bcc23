package hapibulk.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host's repackaged jar started as users start it ({@code java -jar host.jar}), its
 * {@code /fhir/metadata} polled from the first moment until it answers 200; every 200 answer of
 * that time is kept for the test to inspect.
 */
final class HostProcess implements AutoCloseable {

	static final ObjectMapper JSON = new ObjectMapper();
	private static final Duration START_TIMEOUT = Duration.ofMinutes(10);

	private final Process process;
	private final Path log;
	private final String base;
	private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
	private final List<JsonNode> metadataDuringStart = new ArrayList<>();
	private Duration startupTime;

	private HostProcess(Process process, Path log, String base) {
		this.process = process;
		this.log = log;
		this.base = base;
	}

	static HostProcess start(Path jar, Path workDir, String... arguments) throws IOException, InterruptedException {
		int port = freePort();
		Path log = workDir.resolve("host.log");
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Xmx1g"));
		// The build's test JVM options (C1, serial collector: half a start's CPU on two cores); none when run alone.
		Arrays.stream(System.getProperty("hapibulk.test.jvm-options", "").split("\\s+"))
				.filter(option -> !option.isBlank()).forEach(command::add);
		command.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "--server.port=" + port,
				// Full logger names, so that the test can tell whose a WARN is.
				"--logging.pattern.console=%d{HH:mm:ss.SSS} %5level [%thread] %logger : %msg%n"));
		command.addAll(List.of(arguments));
		Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
				.redirectOutput(log.toFile()).start();
		HostProcess host = new HostProcess(process, log, "http://localhost:" + port + "/fhir");
		host.awaitMetadata();
		return host;
	}

	private void awaitMetadata() throws InterruptedException {
		Instant started = Instant.now();
		Instant deadline = started.plus(START_TIMEOUT);
		while (Instant.now().isBefore(deadline)) {
			if (!process.isAlive()) {
				throw new IllegalStateException("The host exited with " + process.exitValue() + ": " + tail());
			}
			try {
				HttpResponse<String> metadata = get("metadata");
				if (metadata.statusCode() == 200) {
					metadataDuringStart.add(JSON.readTree(metadata.body()));
					startupTime = Duration.between(started, Instant.now());
					// A few more answers right after the first: a statement cached too early would show here.
					for (int i = 0; i < 5; i++) {
						Thread.sleep(100);
						metadataDuringStart.add(JSON.readTree(get("metadata").body()));
					}
					return;
				}
			} catch (UncheckedIOException | IOException notYet) {
				// not listening yet
			}
			Thread.sleep(100);
		}
		process.destroyForcibly();
		throw new IllegalStateException("The host did not answer within " + START_TIMEOUT + ": " + tail());
	}

	String base() {
		return base;
	}

	Path log() {
		return log;
	}

	Duration startupTime() {
		return startupTime;
	}

	List<JsonNode> metadataDuringStart() {
		return metadataDuringStart;
	}

	HttpResponse<String> get(String urlOrPath, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).GET(), headers);
	}

	HttpResponse<String> post(String urlOrPath, String body, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).POST(HttpRequest.BodyPublishers.ofString(body)), headers);
	}

	static JsonNode json(HttpResponse<String> response) {
		try {
			return JSON.readTree(response.body());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private HttpResponse<String> send(HttpRequest.Builder builder, String... headers) {
		builder.timeout(Duration.ofMinutes(2));
		if (headers.length > 0) {
			builder.headers(headers);
		}
		if (!List.of(headers).contains("Accept")) {
			builder.header("Accept", "application/fhir+json");
		}
		try {
			return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(e);
		}
	}

	private URI uri(String urlOrPath) {
		return URI.create(urlOrPath.startsWith("http") ? urlOrPath : base + "/" + urlOrPath);
	}

	private String tail() {
		try {
			List<String> lines = Files.readAllLines(log);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
		} catch (IOException e) {
			return "(no log: " + e + ")";
		}
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public void close() throws InterruptedException {
		process.destroy();
		if (!process.waitFor(1, TimeUnit.MINUTES)) {
			process.destroyForcibly().waitFor();
		}
	}
}
