package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * Where import inputs may come from, and how they are read. {@code http(s)} URLs only under a
 * prefix of {@code hapi.bulk.import.allowed-sources} (none by default, so a client cannot make the
 * server fetch from the operator's network), matched and fetched in their normalized form
 * ({@link SourceUrls}); {@code file:} URLs only under {@code hapi.bulk.import.directory}, checked
 * after symbolic links are resolved ({@link SourceRules}). Redirects are not followed: they could lead anywhere.
 * Gzip-compressed inputs are recognised by their first bytes.
 * <p>
 * Reading is bounded: a connect timeout; a read timeout (no response, or no bytes of an open input,
 * for {@code read-timeout}: then the input is aborted by a timer, as the JDK's HTTP client has no
 * timeout of its own for a body that stops); at most {@code max-input-size} bytes of an input after
 * decompression; and a kick-off opens its inputs on a small pool within {@code probe-timeout}. An
 * open input can be aborted from another thread ({@link Input#abort}): its blocked read fails at
 * once. That is also how a cancel frees a worker waiting on a source that stopped sending.
 */
public class ImportSources implements AutoCloseable {

	private static final Logger LOG = LoggerFactory.getLogger(ImportSources.class);
	private static final int BUFFER_BYTES = 1 << 16;
	/** Inputs opened at once by all kick-offs together. */
	private static final int PROBE_THREADS = 4;

	private final ImportSettings settings;
	private final SourceRules rules;
	private final HttpClient http;
	private final ThreadPoolExecutor probes;
	/** The open inputs, each with when it last delivered bytes (System.nanoTime). */
	private final Set<Input> open = ConcurrentHashMap.newKeySet();
	private final ScheduledExecutorService stallTimer;

	public ImportSources(ImportSettings settings) {
		this(settings, SourceAccess.NONE);
	}

	/** @param access the grants imports may read other sources under ({@code $bulk-submit}'s submitters) */
	public ImportSources(ImportSettings settings, SourceAccess access) {
		this.settings = settings;
		this.rules = new SourceRules(settings, access);
		this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
				.followRedirects(HttpClient.Redirect.NEVER).build();
		this.stallTimer = Executors.newSingleThreadScheduledExecutor(daemon("bulk-import-read-timeout"));
		long check = Math.max(50, Math.min(1000, settings.readTimeout().toMillis() / 4));
		stallTimer.scheduleWithFixedDelay(this::abortStalled, check, check, TimeUnit.MILLISECONDS);
		this.probes = new ThreadPoolExecutor(PROBE_THREADS, PROBE_THREADS, 30, TimeUnit.SECONDS,
				new LinkedBlockingQueue<>(), daemon("bulk-import-probe"));
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
		private final Runnable onClose;
		private long count;
		private volatile long lastProgress = System.nanoTime();
		private volatile String abortedBecause;

		Input(InputStream decoded, Closeable connection, long limit, Runnable onClose) {
			super(decoded);
			this.connection = connection;
			this.limit = limit;
			this.onClose = onClose;
		}

		@Override
		public int read() throws IOException {
			int b = guarded(super::read);
			if (b >= 0) {
				counted(1);
			}
			return b;
		}

		@Override
		public int read(byte[] buffer, int offset, int length) throws IOException {
			// never more than one byte past the limit, so a bomb is not inflated further than that
			int n = guarded(() -> super.read(buffer, offset, (int) Math.min(length, Math.max(1, limit - count + 1))));
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

		private interface Read {
			int read() throws IOException;
		}

		private int guarded(Read read) throws IOException {
			try {
				int n = read.read();
				lastProgress = System.nanoTime();
				return n;
			} catch (IOException e) {
				String why = abortedBecause;
				throw why == null ? e : new IOException(why, e);
			}
		}

		private void counted(long n) throws InputTooLargeException {
			count += n;
			if (count > limit) {
				throw new InputTooLargeException(limit);
			}
		}

		long stalledNanos() {
			return System.nanoTime() - lastProgress;
		}

		/** Closes the connection under the input, whatever thread is reading it; its reads fail saying why. */
		public void abort(String why) {
			abortedBecause = why;
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
				connection.close();
				onClose.run();
			}
		}
	}

	/** Aborts the open inputs that delivered nothing for the read timeout. */
	private void abortStalled() {
		long timeout = settings.readTimeout().toNanos();
		for (Input input : open) {
			if (input.stalledNanos() > timeout) {
				open.remove(input);
				input.abort("no bytes for " + settings.readTimeout() + " (hapi.bulk.import.read-timeout)");
			}
		}
	}

	/** Refuses (4xx) a URL that is malformed or that the settings do not allow. */
	public void checkAllowed(String url) {
		checkAllowed(url, null);
	}

	/** Refuses (4xx) a URL that is malformed or that the settings, or the grant when one is named, do not allow. */
	public void checkAllowed(String url, String grant) {
		rules.source(url, grant);
	}

	/**
	 * Opens every input (each distinct URL once) on a small pool shared by all kick-offs: 400 for the
	 * first that cannot be read. Inputs not reached within {@code probe-timeout} are left to the job,
	 * which reports them when it reads them.
	 */
	public void probeAll(List<String> urls) {
		probeAll(urls, null);
	}

	/** {@link #probeAll(List)} for inputs read under a {@link SourceAccess} grant (null: none). */
	public void probeAll(List<String> urls, String grant) {
		long deadline = System.nanoTime() + settings.probeTimeout().toNanos();
		CompletionService<Void> done = new ExecutorCompletionService<>(probes);
		List<Future<Void>> futures = new ArrayList<>();
		for (String url : new LinkedHashSet<>(urls)) {
			futures.add(done.submit(() -> {
				probe(url, grant);
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

	/** Opens the input (an http(s) answer's status, a file's first byte): a 400 if it cannot be read now. */
	private void probe(String url, String grant) {
		Object source = rules.source(url, grant);
		try (Input in = openRaw(url, source, grant, min(settings.readTimeout(), settings.probeTimeout()), false)) {
			if (source instanceof Path) {
				in.read();
			}
		} catch (IOException | RuntimeException e) {
			if (e instanceof BaseServerResponseException response) {
				throw response;
			}
			throw SourceRules.unreadable("The input " + url + " cannot be read: "
					+ (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
		}
	}

	/**
	 * The input's bytes, decompressed when it is gzip, at most {@code max-input-size} of them;
	 * aborted when the source sends nothing for the read timeout.
	 */
	public Input open(String url) throws IOException {
		return open(url, null);
	}

	/** {@link #open(String)} for an input read under a {@link SourceAccess} grant (null: none). */
	public Input open(String url, String grant) throws IOException {
		Object source = rules.source(url, grant);
		Input raw = openRaw(url, source, grant, settings.readTimeout(), true);
		try {
			BufferedInputStream in = new BufferedInputStream(raw, BUFFER_BYTES);
			in.mark(2);
			int first = in.read();
			int second = in.read();
			in.reset();
			InputStream decoded = first == 0x1f && second == 0x8b
					? new BufferedInputStream(new GZIPInputStream(in, BUFFER_BYTES), BUFFER_BYTES) : in;
			return new Input(decoded, () -> raw.abort("aborted"), settings.maxInputSize().toBytes(), () -> {});
		} catch (IOException | RuntimeException e) {
			raw.close();
			throw e;
		}
	}

	/**
	 * The size of an input that can be read in parts by byte range: a {@code file:} input that is not gzip.
	 * Empty for anything else (http(s) inputs, gzip files), which is then read whole.
	 */
	public OptionalLong splittableSize(String url) {
		return splittableSize(url, null);
	}

	/** {@link #splittableSize(String)}; inputs read under a grant are http(s) ones, never split. */
	public OptionalLong splittableSize(String url, String grant) {
		if (grant != null || !(rules.source(url, null) instanceof Path file)) {
			return OptionalLong.empty();
		}
		try (InputStream in = Files.newInputStream(file)) {
			byte[] magic = in.readNBytes(2);
			if (magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
				return OptionalLong.empty();
			}
			return OptionalLong.of(Files.size(file));
		} catch (IOException e) {
			throw SourceRules.unreadable("The input " + url + " cannot be read: " + e.getMessage());
		}
	}

	/**
	 * A part of a {@link #splittableSize splittable} input from byte {@code offset} on, positioned there
	 * without reading what lies before; {@code max-input-size} counts the bytes read from there.
	 */
	public Input openAt(String url, long offset) throws IOException {
		if (!(rules.source(url, null) instanceof Path file)) {
			throw new IOException("Only file: inputs are read in parts: " + url);
		}
		FileChannel channel = FileChannel.open(file);
		try {
			channel.position(offset);
			InputStream in = new BufferedInputStream(Channels.newInputStream(channel), BUFFER_BYTES);
			return new Input(in, channel, settings.maxInputSize().toBytes(), () -> {});
		} catch (IOException | RuntimeException e) {
			channel.close();
			throw e;
		}
	}

	/** The source's bytes as sent, not counted; watched for stalls when {@code watched}. */
	private Input openRaw(String url, Object source, String grant, Duration responseTimeout, boolean watched)
			throws IOException {
		InputStream body;
		if (source instanceof Path file) {
			body = Files.newInputStream(file);
		} else {
			HttpRequest.Builder request = HttpRequest.newBuilder((URI) source).GET().timeout(responseTimeout)
					.header("Accept", "application/fhir+ndjson, application/ndjson, */*");
			rules.credentialsFor((URI) source, grant).ifPresent(authorization -> request.header("Authorization",
					authorization));
			try {
				HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
				if (response.statusCode() / 100 != 2) {
					response.body().close();
					throw new IOException("HTTP " + response.statusCode());
				}
				body = response.body();
			} catch (HttpTimeoutException e) {
				throw new IOException("no answer within " + responseTimeout, e);
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				throw new IOException("Interrupted while fetching " + url, e);
			}
		}
		if (!watched) {
			return new Input(body, body, Long.MAX_VALUE, () -> {});
		}
		Input[] input = new Input[1];
		input[0] = new Input(body, body, Long.MAX_VALUE, () -> open.remove(input[0]));
		open.add(input[0]);
		return input[0];
	}

	private static Duration min(Duration a, Duration b) {
		return a.compareTo(b) <= 0 ? a : b;
	}

	private static ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return runnable -> {
			Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	@Override
	public void close() {
		probes.shutdownNow();
		stallTimer.shutdownNow();
	}
}
