package hapibulk.auth;

import com.nimbusds.jose.jwk.JWKSet;
import hapibulk.metrics.BulkMetrics;

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
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Client JWKS documents fetched from their URLs. A copy is reused while its {@code Cache-Control} allows (at most
 * an hour), and, whatever the headers say (none, {@code no-store}, {@code no-cache}), one URL is fetched at most
 * once per {@code minInterval}: in between, the copy at hand stands in, so token requests (signed or junk, with a
 * known or an invented {@code kid}) cannot turn into a fetch each. That bends SMART's "do not cache longer than
 * the headers allow" by at most {@code minInterval}, which the operator sets. A fetch runs on a thread of its own
 * and the request waits at most {@code fetchTimeout} for it (connect, answer and body), so a slow host cannot hold
 * request threads; every fetch is counted ({@code hapi.bulk.jwks.fetches}).
 */
public class JwksCache {

	private static final Pattern MAX_AGE = Pattern.compile("(?:^|,)\\s*(?:s-)?max-age\\s*=\\s*\"?(\\d+)");
	private static final Duration LONGEST = Duration.ofHours(1);
	private static final int MAX_BYTES = 256 * 1024;

	private final HttpClient http;
	private final Map<String, Entry> entries = new ConcurrentHashMap<>();
	/** When each URL was last fetched (or tried). Keys are registered URLs only (a client's jwks-url or jku list). */
	private final Map<String, Instant> lastFetched = new ConcurrentHashMap<>();
	private final Clock clock;
	private final Duration minInterval;
	private final Duration fetchTimeout;
	private final BulkMetrics metrics;
	/** Runs the fetches; small and bounded, since each URL has at most one fetch under way. */
	private final ThreadPoolExecutor fetches;

	/**
	 * @param fetchedAt when it arrived: it never stands in after an hour, even while its host is away
	 * @param expires   until when the headers allowed the copy to be used
	 */
	private record Entry(JWKSet jwks, Instant fetchedAt, Instant expires) {}

	public JwksCache(Clock clock) {
		this(clock, Duration.ofSeconds(60));
	}

	public JwksCache(Clock clock, Duration minInterval) {
		this(clock, minInterval, Duration.ofSeconds(3), BulkMetrics.none());
	}

	/**
	 * @param minInterval  the least time between two fetches of one URL (capped at an hour)
	 * @param fetchTimeout how long a request waits for a fetch
	 */
	public JwksCache(Clock clock, Duration minInterval, Duration fetchTimeout, BulkMetrics metrics) {
		this.clock = clock;
		this.minInterval = minInterval.compareTo(LONGEST) > 0 ? LONGEST : minInterval;
		this.fetchTimeout = fetchTimeout.isNegative() || fetchTimeout.isZero() ? Duration.ofSeconds(3) : fetchTimeout;
		this.metrics = metrics;
		this.http = HttpClient.newBuilder().connectTimeout(this.fetchTimeout).followRedirects(HttpClient.Redirect.NEVER)
				.build();
		this.fetches = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(8), runnable -> {
			Thread thread = new Thread(runnable, "bulk-jwks-fetch");
			thread.setDaemon(true);
			return thread;
		});
		fetches.allowCoreThreadTimeOut(true);
	}

	/**
	 * The JWKS at {@code url} fetched anew, for a key the last copy did not have; empty when it was fetched less
	 * than the minimum interval ago (that copy is as good as a new one would be).
	 */
	public Optional<JWKSet> refetch(String url) throws IOException {
		Instant now = clock.instant();
		return claim(url, now) ? Optional.of(fetch(url, now)) : Optional.empty();
	}

	/**
	 * The JWKS at {@code url}: from the cache while its headers allow, or while the last fetch is less than the
	 * minimum interval ago; else fetched. {@code refresh} skips a fresh copy (still bounded by the interval).
	 *
	 * @throws IOException when it cannot be fetched, or the last fetch failed less than the interval ago
	 */
	public JWKSet get(String url, boolean refresh) throws IOException {
		Entry entry = entries.get(url);
		Instant now = clock.instant();
		if (!refresh && entry != null && entry.expires().isAfter(now)) {
			return entry.jwks();
		}
		if (claim(url, now)) {
			return fetch(url, now);
		}
		// Fetched (or being fetched) less than the interval ago: the copy at hand stands in, whatever its headers said.
		Entry standIn = entries.get(url);
		if (standIn != null && standIn.fetchedAt().plus(LONGEST).isAfter(now)) {
			return standIn.jwks();
		}
		throw new IOException("The JWKS at " + url + " could not be fetched less than " + minInterval.toSeconds()
				+ " s ago; it is not fetched again before (hapi.bulk.auth.token-limits.jwks-refetch-interval)");
	}

	/** Takes the URL's fetch slot if its last fetch is at least the interval ago; concurrent callers: one wins. */
	private boolean claim(String url, Instant now) {
		Instant last = lastFetched.get(url);
		if (last != null && now.isBefore(last.plus(minInterval))) {
			return false;
		}
		return last == null ? lastFetched.putIfAbsent(url, now) == null : lastFetched.replace(url, last, now);
	}

	/**
	 * One fetch, on a fetch thread; the caller waits at most the timeout (the fetch is then interrupted).
	 *
	 * @throws Busy when every fetch thread and queue place is taken: nothing was asked of the URL, so its slot,
	 *              claimed at {@code claimedAt}, is given back for the next request
	 */
	private JWKSet fetch(String url, Instant claimedAt) throws IOException {
		Future<JWKSet> fetch;
		try {
			fetch = fetches.submit(() -> download(url));
		} catch (RejectedExecutionException e) {
			lastFetched.remove(url, claimedAt);
			metrics.jwksFetched("failure");
			throw new Busy("Too many JWKS fetches under way; " + url + " is not fetched now");
		}
		try {
			JWKSet jwks = fetch.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
			metrics.jwksFetched("success");
			return jwks;
		} catch (TimeoutException e) {
			fetch.cancel(true);
			metrics.jwksFetched("failure");
			throw tooSlow(url);
		} catch (InterruptedException e) {
			fetch.cancel(true);
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while fetching " + url, e);
		} catch (ExecutionException e) {
			metrics.jwksFetched("failure");
			// The client's own request timeout (the same length) may fire first: the same refusal either way.
			if (e.getCause() instanceof java.net.http.HttpTimeoutException) {
				throw tooSlow(url);
			}
			throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
		}
	}

	private IOException tooSlow(String url) {
		return new IOException("The JWKS at " + url + " did not arrive within " + fetchTimeout.toMillis() + " ms");
	}

	private JWKSet download(String url) throws IOException, InterruptedException {
		Instant now = clock.instant();
		HttpResponse<InputStream> response;
		try {
			response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(fetchTimeout)
					.header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
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
		// Kept even when the headers allow no reuse: it stands in until the next fetch is due.
		entries.put(url, new Entry(jwks, now, now.plus(lifetime)));
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

	/** The server is too busy fetching other JWKS to fetch this one now: the client's keys were not looked at. */
	public static final class Busy extends IOException {
		Busy(String message) {
			super(message);
		}
	}
}
