package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.support.BulkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * Where import inputs may come from, and how they are read. {@code http(s)} URLs only under a
 * prefix of {@code hapi.bulk.import.allowed-sources} (none by default, so a client cannot make the
 * server fetch from the operator's network), matched and fetched in their normalized form
 * ({@link SourceUrls}); {@code file:} URLs only under {@code hapi.bulk.import.directory}, checked
 * after symbolic links are resolved. Redirects are not followed: they could lead anywhere.
 * Gzip-compressed inputs are recognised by their first bytes.
 * <p>
 * Reading is bounded: connect and read timeouts for http(s), at most {@code max-input-size} bytes
 * of an input after decompression, and a kick-off opens its inputs on a small pool within
 * {@code probe-timeout}. An open input can be aborted from another thread ({@link Input#abort()}),
 * which is how a cancel frees a worker waiting on a source that stopped sending.
 */
public class ImportSources implements AutoCloseable {

	private static final Logger LOG = LoggerFactory.getLogger(ImportSources.class);
	private static final int BUFFER_BYTES = 1 << 16;
	/** Inputs opened at once by all kick-offs together. */
	private static final int PROBE_THREADS = 4;

	private final ImportSettings settings;
	private final ThreadPoolExecutor probes;

	public ImportSources(ImportSettings settings) {
		this.settings = settings;
		AtomicInteger threads = new AtomicInteger();
		this.probes = new ThreadPoolExecutor(PROBE_THREADS, PROBE_THREADS, 30, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), runnable -> {
					Thread thread = new Thread(runnable, "bulk-import-probe-" + threads.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
		probes.allowCoreThreadTimeOut(true);
	}

	public ImportSettings settings() {
		return settings;
	}

	/** An input's bytes stopped at {@code max-input-size} (after decompression). */
	public static class InputTooLargeException extends IOException {
		InputTooLargeException(long limit) {
			super("more than " + limit + " bytes");
		}
	}

	/**
	 * An open input: its (decompressed) bytes, counted against the size limit, and a way to abort it
	 * from another thread, which makes a read blocked on the source fail at once.
	 */
	public static final class Input extends FilterInputStream {

		private final Closeable connection;
		private final long limit;
		private long count;

		Input(InputStream decoded, Closeable connection, long limit) {
			super(decoded);
			this.connection = connection;
			this.limit = limit;
		}

		@Override
		public int read() throws IOException {
			int b = super.read();
			if (b >= 0) {
				counted(1);
			}
			return b;
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			// never more than one byte past the limit, so a bomb is not inflated further than that
			int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, limit - count + 1)));
			if (n > 0) {
				counted(n);
			}
			return n;
		}

		@Override
		public long skip(long n) throws IOException {
			long skipped = super.skip(Math.min(n, Math.max(1, limit - count + 1)));
			counted(skipped);
			return skipped;
		}

		private void counted(long n) throws InputTooLargeException {
			count += n;
			if (count > limit) {
				throw new InputTooLargeException(limit);
			}
		}

		/** Closes the connection under the input, whatever thread is reading it. */
		public void abort() {
			try {
				connection.close();
			} catch (IOException | RuntimeException e) {
				LOG.debug("Aborting an import input: {}", e.toString());
			}
		}

		@Override
		public void close() throws IOException {
			try {
				super.close();
			} finally {
				abort();
			}
		}
	}

	/** Refuses (4xx) a URL that is malformed or that the settings do not allow. */
	public void checkAllowed(String url) {
		source(url);
	}

	/** The URL to fetch (normalized) or the file to read; 4xx as {@link #checkAllowed}. */
	private Object source(String url) {
		String scheme = url == null ? "" : url.substring(0, Math.max(0, url.indexOf(':'))).toLowerCase(Locale.ROOT);
		switch (scheme) {
			case "http", "https" -> {
				URI normalized = SourceUrls.normalize(url);
				if (settings.allowedSources().stream().noneMatch(prefix -> SourceUrls.under(normalized, prefix))) {
					throw new ForbiddenOperationException(BulkErrors.code(217) + "The input " + url
							+ " is not under a source this server allows (hapi.bulk.import.allowed-sources)");
				}
				return normalized;
			}
			case "file" -> {
				return localFile(parse(url));
			}
			default -> throw new InvalidRequestException(BulkErrors.code(216) + "Unsupported input URL scheme '"
					+ scheme + "' in " + url + ": use https, http or file");
		}
	}

	/**
	 * Opens every input (each distinct URL once) on a small pool and reads a byte: 400 for the first
	 * that cannot be read. Inputs not reached within {@code probe-timeout} are left to the job,
	 * which reports them when it reads them.
	 */
	public void probeAll(List<String> urls) {
		long deadline = System.nanoTime() + settings.probeTimeout().toNanos();
		CompletionService<Void> done = new ExecutorCompletionService<>(probes);
		List<Future<Void>> futures = new ArrayList<>();
		for (String url : new LinkedHashSet<>(urls)) {
			futures.add(done.submit(() -> {
				probe(url);
				return null;
			}));
		}
		try {
			for (int i = 0; i < futures.size(); i++) {
				Future<Void> probed = done.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
				if (probed == null) {
					LOG.info("Opened {} of {} import inputs within {}; the others are checked when they are read", i,
							futures.size(), settings.probeTimeout());
					return;
				}
				probed.get();
			}
		} catch (ExecutionException e) {
			throw e.getCause() instanceof RuntimeException runtime ? runtime
					: new IllegalStateException("Probing an import input failed", e.getCause());
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while probing import inputs", e);
		} finally {
			futures.forEach(future -> future.cancel(true));
		}
	}

	/** Opens the input and closes it again: a 400 if it cannot be read now. */
	public void probe(String url) {
		Object source = source(url);
		Duration connect = min(settings.connectTimeout(), settings.probeTimeout());
		Duration read = min(settings.readTimeout(), settings.probeTimeout());
		try (Input in = openRaw(url, source, connect, read)) {
			in.read();
		} catch (IOException | RuntimeException e) {
			if (e instanceof BaseServerResponseException response) {
				throw response;
			}
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + url + " cannot be read: "
					+ e.getMessage());
		}
	}

	/** The input's bytes, decompressed when it is gzip, at most {@code max-input-size} of them. */
	public Input open(String url) throws IOException {
		Object source = source(url);
		Input raw = openRaw(url, source, settings.connectTimeout(), settings.readTimeout());
		BufferedInputStream in = new BufferedInputStream(raw, BUFFER_BYTES);
		in.mark(2);
		int first = in.read();
		int second = in.read();
		in.reset();
		InputStream decoded = first == 0x1f && second == 0x8b
				? new BufferedInputStream(new GZIPInputStream(in, BUFFER_BYTES), BUFFER_BYTES) : in;
		return new Input(decoded, raw::abort, settings.maxInputSize().toBytes());
	}

	/** The source's bytes as sent, not counted. */
	private Input openRaw(String url, Object source, Duration connectTimeout, Duration readTimeout)
			throws IOException {
		if (source instanceof Path file) {
			InputStream in = Files.newInputStream(file);
			return new Input(in, in, Long.MAX_VALUE);
		}
		URI uri = (URI) source;
		HttpURLConnection connection = (HttpURLConnection) uri.toURL().openConnection();
		connection.setConnectTimeout(millis(connectTimeout));
		connection.setReadTimeout(millis(readTimeout));
		connection.setInstanceFollowRedirects(false);
		connection.setUseCaches(false);
		connection.setRequestProperty("Accept", "application/fhir+ndjson, application/ndjson, */*");
		credentialsFor(uri).ifPresent(authorization -> connection.setRequestProperty("Authorization", authorization));
		try {
			int status = connection.getResponseCode();
			if (status / 100 != 2) {
				throw new IOException("HTTP " + status);
			}
			return new Input(connection.getInputStream(), connection::disconnect, Long.MAX_VALUE);
		} catch (IOException | RuntimeException e) {
			connection.disconnect();
			throw e;
		}
	}

	private Optional<String> credentialsFor(URI url) {
		return settings.sourceCredentials().stream()
				.filter(credential -> credential.prefix() != null && SourceUrls.under(url, credential.prefix()))
				.findFirst()
				.map(credential -> credential.bearerToken() != null ? "Bearer " + credential.bearerToken()
						: "Basic " + Base64.getEncoder().encodeToString((credential.username() + ":"
								+ credential.password()).getBytes(StandardCharsets.UTF_8)));
	}

	/** The file a {@code file:} URL names, if it is a regular file under the import directory (links resolved). */
	private Path localFile(URI uri) {
		if (settings.directory() == null) {
			throw new ForbiddenOperationException(BulkErrors.code(218)
					+ "file: inputs are not allowed on this server (hapi.bulk.import.directory is not set)");
		}
		Path file;
		Path directory;
		try {
			directory = settings.directory().toRealPath();
			file = Path.of(uri).normalize();
		} catch (IOException | IllegalArgumentException e) {
			throw new InvalidRequestException(BulkErrors.code(216) + "Unusable file: URL " + uri + ": " + e.getMessage());
		}
		if (!file.startsWith(directory) && !file.startsWith(settings.directory().toAbsolutePath().normalize())) {
			throw new ForbiddenOperationException(BulkErrors.code(218) + "The input " + uri
					+ " is outside the import directory (hapi.bulk.import.directory)");
		}
		Path real;
		try {
			real = file.toRealPath();
		} catch (IOException e) {
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + uri + " cannot be read: no such file");
		}
		if (!real.startsWith(directory)) {
			throw new ForbiddenOperationException(BulkErrors.code(218) + "The input " + uri
					+ " leads outside the import directory (hapi.bulk.import.directory)");
		}
		if (!Files.isRegularFile(real)) {
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + uri + " is not a file");
		}
		return real;
	}

	private static URI parse(String url) {
		try {
			URI uri = new URI(url);
			if (uri.getScheme() == null || !uri.isAbsolute()) {
				throw new InvalidRequestException(BulkErrors.code(216) + "The input URL " + url + " is not absolute");
			}
			return uri;
		} catch (java.net.URISyntaxException e) {
			throw new InvalidRequestException(BulkErrors.code(216) + "Malformed input URL " + url);
		}
	}

	private static Duration min(Duration a, Duration b) {
		return a.compareTo(b) <= 0 ? a : b;
	}

	private static int millis(Duration duration) {
		return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
	}

	@Override
	public void close() {
		probes.shutdownNow();
	}
}
