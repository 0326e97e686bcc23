package hapibulk.bench;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.storage.s3.S3Settings;
import org.springframework.util.unit.DataSize;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's S3 server: s3proxy (filesystem back end) on loopback, in a JVM of its own
 * ({@link S3ServerProcess}), as an object store is a service of its own beside a bulk node: its CPU is
 * not the node's, and its garbage (it reads every signed body whole) is not collected in the node's heap.
 * It still runs on the same cores. Every request it receives is counted by operation ({@link #requests()}).
 */
final class BenchS3Server implements AutoCloseable {

	private static final String BUCKET = "bench";
	private static final String PREFIX = "bulk/";
	private static final String KEY = "bench-access-key";
	private static final String SECRET = "bench-secret-key";
	private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

	private final Process process;
	private final int port;
	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	BenchS3Server(Path directory) throws IOException, InterruptedException {
		Files.createDirectories(directory);
		port = freePort();
		Path log = directory.resolve("s3-server.log");
		Files.deleteIfExists(log); // its "started" line is what this waits for
		process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
				"-cp", System.getProperty("java.class.path"), S3ServerProcess.class.getName(),
				directory.resolve("data").toAbsolutePath().toString(), Integer.toString(port), BUCKET, KEY, SECRET)
				.redirectErrorStream(true).start();
		awaitStarted(log);
	}

	/** Our S3 store on this server, as {@code hapi.bulk.storage.type=s3} with default segment size would make it. */
	S3FileStore store() {
		S3Settings settings = new S3Settings(BUCKET, PREFIX, "us-east-1", endpoint(), true, KEY, SECRET,
				S3Settings.ServerSideEncryption.NONE, null, DataSize.ofMegabytes(8));
		return new S3FileStore(S3Clients.create(settings), settings);
	}

	/** The same store as settings, for another process (a cluster worker) or a context of this one. */
	Map<String, String> storeSettings() {
		return Map.of("hapi.bulk.storage.type", "s3",
				"hapi.bulk.storage.s3.bucket", BUCKET,
				"hapi.bulk.storage.s3.prefix", PREFIX,
				"hapi.bulk.storage.s3.region", "us-east-1",
				"hapi.bulk.storage.s3.endpoint", endpoint().toString(),
				"hapi.bulk.storage.s3.path-style-access", "true",
				"hapi.bulk.storage.s3.access-key-id", KEY,
				"hapi.bulk.storage.s3.secret-access-key", SECRET,
				// the server is strict and cannot encrypt: it refuses the SSE header (as store() sends none)
				"hapi.bulk.storage.s3.sse", "none");
	}

	/** Requests received so far, by operation: PUT, GET, LIST, DELETE, HEAD, POST. */
	Map<String, Long> requests() {
		HttpRequest request = HttpRequest.newBuilder(endpoint().resolve(S3RequestCounter.COUNTS_PATH))
				.timeout(Duration.ofSeconds(30)).build();
		try {
			return S3RequestCounter.parse(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(e);
		}
	}

	/** CPU seconds the server's process has used since it started (negative when unknown). */
	double cpuSeconds() {
		return ProcessCpu.seconds(process.pid());
	}

	static List<String> operations() {
		return List.of("PUT", "GET", "LIST", "DELETE", "HEAD", "POST");
	}

	private URI endpoint() {
		return URI.create("http://127.0.0.1:" + port);
	}

	/** Waits for the server's "started" line; what it printed before goes to {@code log}. */
	private void awaitStarted(Path log) throws IOException, InterruptedException {
		BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
		Thread reader = new Thread(() -> {
			try {
				for (String line = output.readLine(); line != null; line = output.readLine()) {
					Files.writeString(log, line + System.lineSeparator(), StandardCharsets.UTF_8,
							StandardOpenOption.CREATE, StandardOpenOption.APPEND);
				}
			} catch (IOException ended) {
				// the process is gone
			}
		}, "bench-s3-server-log");
		reader.setDaemon(true);
		reader.start();
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		while (System.nanoTime() < deadline) {
			if (!process.isAlive()) {
				throw new IllegalStateException("The S3 server exited with " + process.exitValue() + "; see " + log);
			}
			if (Files.exists(log) && Files.readString(log).lines().anyMatch("started"::equals)) {
				return;
			}
			Thread.sleep(50);
		}
		close();
		throw new IllegalStateException("The S3 server did not start within " + START_TIMEOUT + "; see " + log);
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** Closes its standard input, which ends it; forcibly after half a minute. */
	@Override
	public void close() throws InterruptedException {
		try {
			process.getOutputStream().close();
		} catch (IOException alreadyGone) {
			// then it has ended
		}
		if (!process.waitFor(30, TimeUnit.SECONDS)) {
			process.destroyForcibly().waitFor();
		}
	}
}
