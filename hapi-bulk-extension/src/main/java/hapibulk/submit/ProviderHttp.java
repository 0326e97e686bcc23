package hapibulk.submit;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The requests this server makes to a submitter's provider (manifests, discovery, tokens): no redirects (they
 * could lead anywhere), a time limit for the whole answer, and at most {@code maxBytes} of a body.
 */
class ProviderHttp {

	/** An answer: its status, its {@code Content-Location} if any, and its body as text. */
	record Answer(int status, String body) {}

	private final HttpClient http;
	private final Duration timeout;
	private final long maxBytes;

	ProviderHttp(Duration timeout, long maxBytes) {
		this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
		this.timeout = timeout;
		this.maxBytes = maxBytes;
	}

	Answer get(URI url, Optional<String> authorization) throws IOException {
		HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().timeout(timeout).header("Accept", "application/json");
		authorization.ifPresent(value -> request.header("Authorization", value));
		return send(request.build());
	}

	Answer postForm(URI url, String form) throws IOException {
		return send(HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "application/json")
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)).build());
	}

	private Answer send(HttpRequest request) throws IOException {
		try {
			HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
			try (InputStream body = response.body()) {
				byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
				if (bytes.length > maxBytes) {
					throw new IOException("the answer is larger than " + maxBytes + " bytes");
				}
				return new Answer(response.statusCode(), new String(bytes, StandardCharsets.UTF_8));
			}
		} catch (HttpTimeoutException e) {
			throw new IOException("no answer within " + timeout, e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted", e);
		}
	}
}
