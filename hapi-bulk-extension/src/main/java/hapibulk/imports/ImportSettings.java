package hapibulk.imports;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code hapi.bulk.import.*}. The limits are there because an import makes the server fetch and
 * store what a client names: without them one kick-off can make the server send thousands of
 * requests, hold a worker on a source that never answers, or write an error file many times the
 * size of a small gzip input.
 *
 * @param allowedSources     URL prefixes that http(s) inputs must lie under; empty: no http(s) input is
 *                           fetched (no requests into the operator's network on a client's behalf)
 * @param sourceCredentials  credentials sent to sources under a prefix (basic or bearer)
 * @param directory          the only directory file: inputs may name (with what lies under it);
 *                           unset: no file: input
 * @param chunkSize          lines read per chunk (one restart point)
 * @param parallelWrites     slices of a chunk stored at once, each in its own transaction; 0 means
 *                           one per worker thread
 * @param maxLineLength      a longer line is skipped (without being held in memory) and reported
 * @param connectTimeout     for http(s) sources
 * @param readTimeout        for http(s) sources: the longest wait for the next bytes of an input
 * @param maxRunningImports  imports queued or running at once; a kick-off beyond gets 429
 * @param maxInputs          inputs one kick-off may name; more: 400, before any input is fetched
 * @param probeTimeout       the kick-off's time for opening its inputs to see they can be read;
 *                           inputs not reached by then are checked when the job reads them
 * @param maxInputSize       bytes read from one input, after decompression (a gzip bomb stops there)
 * @param maxErrorLines      error lines one input may report; then the input is stopped
 * @param splitSize          a file: input larger than this (and not gzip) is read as parts of about this
 *                           size, cut at line boundaries, each a partition of its own (several workers, or
 *                           nodes, share one large input); 0: never split
 */
public record ImportSettings(
		@DefaultValue List<String> allowedSources,
		@DefaultValue List<SourceCredential> sourceCredentials,
		Path directory,
		@DefaultValue("1000") int chunkSize,
		@DefaultValue("0") int parallelWrites,
		@DefaultValue("16MB") DataSize maxLineLength,
		@DefaultValue("10s") Duration connectTimeout,
		@DefaultValue("60s") Duration readTimeout,
		@DefaultValue("4") int maxRunningImports,
		@DefaultValue("1000") int maxInputs,
		@DefaultValue("30s") Duration probeTimeout,
		@DefaultValue("8GB") DataSize maxInputSize,
		@DefaultValue("1000") int maxErrorLines,
		@DefaultValue("256MB") DataSize splitSize) {

	/** Slices of a chunk stored at once: {@code parallelWrites}, or with 0 one per worker thread. */
	public int parallelWrites(int workerThreads) {
		return parallelWrites > 0 ? parallelWrites : workerThreads;
	}

	public ImportSettings {
		allowedSources = allowedSources == null ? List.of() : List.copyOf(allowedSources);
		sourceCredentials = sourceCredentials == null ? List.of() : List.copyOf(sourceCredentials);
	}

	/** The defaults, with the sources and directory given (tests and hosts that build settings by hand). */
	public static ImportSettings of(List<String> allowedSources, Path directory) {
		return new ImportSettings(allowedSources, List.of(), directory, 1000, 0, DataSize.ofMegabytes(16),
				Duration.ofSeconds(10), Duration.ofSeconds(60), 4, 1000, Duration.ofSeconds(30),
				DataSize.ofGigabytes(8), 1000, DataSize.ofMegabytes(256));
	}

	/**
	 * Credentials for the http(s) sources whose URL lies under {@code prefix}: {@code username} and
	 * {@code password} (HTTP basic), or {@code bearerToken}.
	 */
	public record SourceCredential(String prefix, String username, String password, String bearerToken) {}
}
