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
 * {@code no-store}/{@code no-cache}, a JWKS is fetched for each use. A refetch for a key the
 * copy lacks ({@link #refetch}) happens at most once per {@code refetchInterval} and URL: a
 * client assertion with an invented {@code kid} must not turn into a blocking fetch each time.
 */
public class JwksCache {

	private static final Pattern MAX_AGE = Pattern.compile("(?:^|,)\\s*(?:s-)?max-age\\s*=\\s*\"?(\\d+)");
	private static final Duration LONGEST = Duration.ofHours(1);
	private static final int MAX_BYTES = 256 * 1024;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
			.followRedirects(HttpClient.Redirect.NEVER).build();
	private final Map<String, Entry> entries = new ConcurrentHashMap<>();
	/** When each URL was last fetched. Keys are registered URLs only (a client's jwks-url or jku list). */
	private final Map<String, Instant> lastFetched = new ConcurrentHashMap<>();
	private final Clock clock;
	private final Duration refetchInterval;

	private record Entry(JWKSet jwks, Instant expires) {}

	public JwksCache(Clock clock) {
		this(clock, Duration.ofSeconds(60));
	}

	public JwksCache(Clock clock, Duration refetchInterval) {
		this.clock = clock;
		this.refetchInterval = refetchInterval;
	}

	/**
	 * The JWKS at {@code url} fetched anew, for a key the last copy did not have; empty when it was
	 * fetched less than the refetch interval ago (that copy is as good as a new one would be).
	 */
	public java.util.Optional<JWKSet> refetch(String url) throws IOException {
		Instant last = lastFetched.get(url);
		Instant now = clock.instant();
		if (last != null && now.isBefore(last.plus(refetchInterval))) {
			return java.util.Optional.empty();
		}
		// Claim the slot before the fetch, so concurrent refetches of one URL do not all go out.
		if (last == null ? lastFetched.putIfAbsent(url, now) != null : !lastFetched.replace(url, last, now)) {
			return java.util.Optional.empty();
		}
		return java.util.Optional.of(get(url, true));
	}

	/** The JWKS at {@code url}, from the cache while it is fresh; {@code refresh} skips the cache. */
	public JWKSet get(String url, boolean refresh) throws IOException {
		Instant now = clock.instant();
		Entry entry = entries.get(url);
		if (!refresh && entry != null && entry.expires().isAfter(now)) {
			return entry.jwks();
		}
		lastFetched.put(url, now);
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
