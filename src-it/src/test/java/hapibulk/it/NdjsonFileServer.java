package hapibulk.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * A small HTTP server the tests put import inputs on: {@code GET /<path>} serves
 * {@code <directory>/<path>} (as {@code application/octet-stream}, which servers must accept),
 * 404 for anything else. Paths under {@code /secure/} need {@code Authorization: Bearer <token>}.
 */
final class NdjsonFileServer implements AutoCloseable {

	static final String TOKEN = "it-secret-token";

	private final HttpServer server;
	private final Path directory;

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

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			String path = exchange.getRequestURI().getPath().substring(1);
			Path file = directory.resolve(path).normalize();
			if (path.startsWith("secure/") && !("Bearer " + TOKEN).equals(
					exchange.getRequestHeaders().getFirst("Authorization"))) {
				exchange.sendResponseHeaders(401, -1);
				return;
			}
			if (!file.startsWith(directory) || !Files.isRegularFile(file)) {
				exchange.sendResponseHeaders(404, -1);
				return;
			}
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
