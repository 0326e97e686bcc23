package hapibulk.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A small HTTP server the tests put import inputs on: {@code GET /<path>} serves
 * {@code <directory>/<path>} (as {@code application/octet-stream}, which servers must accept),
 * 404 for anything else. Paths with a {@code secure} directory ({@code /secure/…}, {@code /allowed/secure/…})
 * need {@code Authorization: Bearer <token>} (else 401); every request's path, Authorization header and answer
 * are recorded, so that a test can tell that credentials were sent, not only that the file was read.
 */
final class NdjsonFileServer implements AutoCloseable {

	static final String TOKEN = "it-secret-token";

	/** A request as served: its path (no leading slash), its Authorization header (or null) and the status. */
	record Request(String path, String authorization, int status) {}

	private final HttpServer server;
	private final Path directory;
	private final List<Request> requests = new CopyOnWriteArrayList<>();

	private NdjsonFileServer(HttpServer server, Path directory) {
		this.server = server;
		this.directory = directory;
	}

	static NdjsonFileServer start(Path directory) {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
			NdjsonFileServer files = new NdjsonFileServer(server, directory.toAbsolutePath().normalize());
			server.createContext("/", files::handle);
			server.setExecutor(Executors.newFixedThreadPool(4));
			server.start();
			return files;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The URL of a path under the directory. */
	String url(String path) {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
	}

	Path directory() {
		return directory;
	}

	/** The requests for a path (no leading slash), in the order they came. */
	List<Request> requests(String path) {
		return requests.stream().filter(request -> request.path().equals(path)).toList();
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			String path = exchange.getRequestURI().getPath().substring(1);
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			Path file = directory.resolve(path).normalize();
			if (("/" + path).contains("/secure/") && !("Bearer " + TOKEN).equals(authorization)) {
				requests.add(new Request(path, authorization, 401));
				exchange.sendResponseHeaders(401, -1);
				return;
			}
			if (!file.startsWith(directory) || !Files.isRegularFile(file)) {
				requests.add(new Request(path, authorization, 404));
				exchange.sendResponseHeaders(404, -1);
				return;
			}
			requests.add(new Request(path, authorization, 200));
			exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
			exchange.sendResponseHeaders(200, Files.size(file));
			try (OutputStream out = exchange.getResponseBody()) {
				Files.copy(file, out);
			}
		}
	}

	@Override
	public void close() {
		server.stop(0);
	}
}
