package hapibulk.bench;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** Serves the generated NDJSON files over HTTP, where HAPI's {@code $import} fetches its sources. */
final class NdjsonFileServer implements AutoCloseable {

	private final HttpServer server;
	private final Path root;

	NdjsonFileServer(Path root) throws IOException {
		this.root = root.toAbsolutePath().normalize();
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		server.createContext("/files/", exchange -> {
			Path file = this.root.resolve(exchange.getRequestURI().getPath().substring("/files/".length())).normalize();
			if (!file.startsWith(this.root) || !Files.isRegularFile(file)) {
				exchange.sendResponseHeaders(404, -1);
				exchange.close();
				return;
			}
			exchange.getResponseHeaders().set("Content-Type", "application/fhir+ndjson");
			exchange.sendResponseHeaders(200, Files.size(file));
			try (OutputStream body = exchange.getResponseBody()) {
				Files.copy(file, body);
			}
		});
		server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
		server.start();
	}

	String url(Path file) {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/files/" + root.relativize(file.toAbsolutePath().normalize());
	}

	@Override
	public void close() {
		server.stop(0);
	}
}
