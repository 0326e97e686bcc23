package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A bare HTTP client for a FHIR server, as a bulk data client would use it. */
public final class FhirHttp {

	static final ObjectMapper JSON = new ObjectMapper();

	private final HttpClient client;
	private final String base;

	public FhirHttp(String base) {
		this(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
	}

	/** With a client of its own (for example one that trusts a test certificate). */
	public FhirHttp(String base, HttpClient client) {
		this.base = base;
		this.client = client;
	}

	public String base() {
		return base;
	}

	public HttpResponse<String> get(String urlOrPath, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).GET(), headers);
	}

	public HttpResponse<String> post(String urlOrPath, String body, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).POST(HttpRequest.BodyPublishers.ofString(body)), headers);
	}

	public HttpResponse<String> put(String urlOrPath, String body, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).PUT(HttpRequest.BodyPublishers.ofString(body)), headers);
	}

	public HttpResponse<String> delete(String urlOrPath, String... headers) {
		return send(HttpRequest.newBuilder(uri(urlOrPath)).DELETE(), headers);
	}

	public HttpResponse<byte[]> getBytes(String url, String... headers) {
		return send(HttpRequest.newBuilder(uri(url)).GET(), HttpResponse.BodyHandlers.ofByteArray(), headers);
	}

	public static JsonNode json(HttpResponse<String> response) {
		return parse(response.body());
	}

	public static JsonNode parse(String json) {
		try {
			return JSON.readTree(json);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private HttpResponse<String> send(HttpRequest.Builder builder, String... headers) {
		return send(builder, HttpResponse.BodyHandlers.ofString(), headers);
	}

	private <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> body, String... headers) {
		builder.timeout(Duration.ofMinutes(2));
		if (headers.length > 0) {
			builder.headers(headers);
		}
		try {
			return client.send(builder.build(), body);
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
}
