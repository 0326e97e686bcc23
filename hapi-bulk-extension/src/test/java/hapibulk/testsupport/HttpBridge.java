package hapibulk.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real HTTP server on loopback in front of a test host's {@link RestfulServerClient}: what another server (a
 * {@code $bulk-submit} consumer) fetches over the network reaches the host's real RestfulServer, its providers,
 * interceptors and token endpoint. The port is open from construction; the host is plugged in later
 * ({@link #serve}), so a consumer's settings can name the URL before the provider exists. {@code base()} is
 * {@code http://127.0.0.1:PORT/fhir}, the host's {@code hapi.bulk.server-base-url}.
 */
public final class HttpBridge implements AutoCloseable {

	private final HttpServer server;
	private final ExecutorService threads = Executors.newCachedThreadPool();
	private final AtomicReference<RestfulServerClient> target = new AtomicReference<>();
	private final List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
	private final java.util.concurrent.atomic.AtomicInteger fileRequests = new java.util.concurrent.atomic.AtomicInteger();
	private volatile int filesServed = -1;

	public HttpBridge() {
		try {
			server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		server.createContext("/fhir/", this::handle);
		server.setExecutor(threads);
		server.start();
	}

	public String base() {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/fhir";
	}

	public void serve(RestfulServerClient client) {
		target.set(client);
	}

	/** From now on, {@code $bulk-file} requests after the first {@code n} answer 503 (a provider going away); -1: none. */
	public void failFilesAfter(int n) {
		fileRequests.set(0);
		filesServed = n;
	}

	/** Each request's method, path and query, and whether it carried a bearer token, as received. */
	public List<String> requests() {
		return List.copyOf(requests);
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			RestfulServerClient client = target.get();
			String relative = exchange.getRequestURI().getRawPath().substring("/fhir/".length())
					+ (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
			String authorization = exchange.getRequestHeaders().getFirst("Authorization");
			requests.add(exchange.getRequestMethod() + " " + relative + (authorization != null
					&& authorization.startsWith("Bearer ") ? " [bearer]" : ""));
			boolean fileRefused = relative.startsWith("$bulk-file") && filesServed >= 0
					&& fileRequests.incrementAndGet() > filesServed;
			if (client == null || fileRefused) {
				exchange.sendResponseHeaders(503, -1);
				return;
			}
			List<String> headers = new ArrayList<>();
			exchange.getRequestHeaders().forEach((name, values) -> values.forEach(value -> {
				if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length")) {
					headers.add(name);
					headers.add(value);
				}
			}));
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
			RestfulServerClient.Answer answer;
			if ("POST".equals(exchange.getRequestMethod()) && contentType != null
					&& contentType.startsWith("application/x-www-form-urlencoded")) {
				answer = client.withHeaders(headers.toArray(String[]::new)).postForm(relative, form(body));
			} else {
				answer = client.send(exchange.getRequestMethod(), relative, body.isEmpty() ? null : body,
						headers.toArray(String[]::new));
			}
			for (String name : answer.response().getHeaderNames()) {
				if (!name.equalsIgnoreCase("Content-Length")) {
					answer.response().getHeaders(name).forEach(value -> exchange.getResponseHeaders().add(name, value));
				}
			}
			if (answer.response().getContentType() != null) {
				exchange.getResponseHeaders().set("Content-Type", answer.response().getContentType());
			}
			byte[] bytes = answer.response().getContentAsByteArray();
			exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
			if (bytes.length > 0) {
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(bytes);
				}
			}
		}
	}

	private static Map<String, String> form(String body) {
		Map<String, String> fields = new LinkedHashMap<>();
		for (String pair : body.split("&")) {
			String[] nameValue = pair.split("=", 2);
			if (!nameValue[0].isEmpty()) {
				fields.put(URLDecoder.decode(nameValue[0], StandardCharsets.UTF_8),
						nameValue.length > 1 ? URLDecoder.decode(nameValue[1], StandardCharsets.UTF_8) : "");
			}
		}
		return fields;
	}

	@Override
	public void close() {
		server.stop(0);
		threads.shutdownNow();
	}
}
