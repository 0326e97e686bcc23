package hapibulk.testsupport;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on loopback for import sources. Every path answers 200 with {@code body};
 * paths under {@code /stall/} then stop sending (without closing) until the server is closed, as
 * a source that hangs mid-file; paths under {@code /hang/} send nothing at all. Records each request's path and Authorization header.
 */
public final class SourceServer implements AutoCloseable {

	/** One request as the server saw it. */
	public record Request(String path, String authorization) {}

	private final HttpServer server;
	private final ExecutorService threads = Executors.newCachedThreadPool();
	private final CountDownLatch closed = new CountDownLatch(1);
	private final List<Request> requests = new CopyOnWriteArrayList<>();

	public SourceServer(String body) {
		try {
			server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		server.createContext("/", exchange -> {
			requests.add(new Request(exchange.getRequestURI().getRawPath(),
					exchange.getRequestHeaders().getFirst("Authorization")));
			if (exchange.getRequestURI().getRawPath().startsWith("/hang/")) {
				await();
			}
			boolean stall = exchange.getRequestURI().getRawPath().startsWith("/stall/");
			exchange.sendResponseHeaders(200, stall ? 0 : bytes.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(bytes);
				out.flush();
				if (stall) {
					await();
				}
			} catch (IOException e) {
				// the client went away
			}
		});
		server.setExecutor(threads);
		server.start();
	}

	private void await() {
		try {
			closed.await(5, TimeUnit.MINUTES);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	public String url(String path) {
		return "http://127.0.0.1:" + server.getAddress().getPort() + path;
	}

	public List<Request> requests() {
		return List.copyOf(requests);
	}

	@Override
	public void close() {
		closed.countDown();
		server.stop(0);
		threads.shutdownNow();
	}
}
