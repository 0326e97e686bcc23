package hapibulk.auth;

import com.nimbusds.jose.jwk.JWKSet;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Client JWKS documents fetched from their URLs, kept no longer than their {@code Cache-Control}
 * allows (SMART: SHALL NOT cache longer, SHOULD cache within it). Without {@code max-age}, or with
 * {@code no-store}/{@code no-cache}, a JWKS is fetched for each use.
 */
public class JwksCache {

	private static final Pattern MAX_AGE = Pattern.compile("(?:^|,)\\s*(?:s-)?max-age\\s*=\\s*\"?(\\d+)");
	private static final Duration LONGEST = Duration.ofHours(1);
	private static final int MAX_BYTES = 256 * 1024;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
			.followRedirects(HttpClient.Redirect.NEVER).build();
	private final Map<String, Entry> entries = new ConcurrentHashMap<>();
	private final Clock clock;

	private record Entry(JWKSet jwks, Instant expires) {}

	public JwksCache(Clock clock) {
		this.clock = clock;
	}

	/** The JWKS at {@code url}, from the cache while it is fresh; {@code refresh} skips the cache. */
	public JWKSet get(String url, boolean refresh) throws IOException {
		Instant now = clock.instant();
		Entry entry = entries.get(url);
		if (!refresh && entry != null && entry.expires().isAfter(now)) {
			return entry.jwks();
		}
		HttpResponse<InputStream> response;
		try {
			response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
					.header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while fetching " + url, e);
		} catch (IllegalArgumentException e) {
			throw new IOException("Not a usable JWKS URL: " + url, e);
		}
		String body;
		try (InputStream in = response.body()) {
			byte[] bytes = in.readNBytes(MAX_BYTES + 1);
			if (bytes.length > MAX_BYTES) {
				throw new IOException("The JWKS at " + url + " is larger than " + MAX_BYTES + " bytes");
			}
			body = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
		}
		if (response.statusCode() != 200) {
			throw new IOException("The JWKS at " + url + " answered HTTP " + response.statusCode());
		}
		JWKSet jwks;
		try {
			jwks = JWKSet.parse(body);
		} catch (java.text.ParseException e) {
			throw new IOException("The document at " + url + " is not a JWKS: " + e.getMessage(), e);
		}
		Duration lifetime = cacheLifetime(response.headers().firstValue("Cache-Control").orElse(null));
		if (lifetime.isZero()) {
			entries.remove(url);
		} else {
			entries.put(url, new Entry(jwks, now.plus(lifetime)));
		}
		return jwks;
	}

	/** How long a response may be reused under its Cache-Control header (capped at an hour). */
	static Duration cacheLifetime(String cacheControl) {
		if (cacheControl == null) {
			return Duration.ZERO;
		}
		String value = cacheControl.toLowerCase(Locale.ROOT);
		if (value.contains("no-store") || value.contains("no-cache")) {
			return Duration.ZERO;
		}
		Matcher matcher = MAX_AGE.matcher(value);
		if (!matcher.find()) {
			return Duration.ZERO;
		}
		Duration maxAge = Duration.ofSeconds(Long.parseLong(matcher.group(1).length() > 9 ? "999999999" : matcher.group(1)));
		return maxAge.compareTo(LONGEST) > 0 ? LONGEST : maxAge;
	}
}
