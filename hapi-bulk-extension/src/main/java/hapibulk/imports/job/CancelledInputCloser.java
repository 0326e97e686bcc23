package hapibulk.imports.job;

import hapibulk.imports.ImportSources;
import hapibulk.job.BulkJobTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Aborts the open inputs of import jobs that were cancelled. A worker sees a cancel only between
 * chunks; one waiting on a source that stopped sending would wait for the read timeout first.
 * Every {@code interval} this looks up the jobs that have inputs open (one query per such job)
 * and aborts the inputs of those no longer active, so the blocked read fails and the worker is free.
 */
class CancelledInputCloser implements AutoCloseable {

	private static final Logger LOG = LoggerFactory.getLogger(CancelledInputCloser.class);

	private final BulkJobTable table;
	private final Map<ImportSources.Input, String> open = new ConcurrentHashMap<>();
	private final ScheduledExecutorService timer;

	CancelledInputCloser(BulkJobTable table, Duration interval) {
		this.table = table;
		this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, "bulk-import-cancel-watch");
			thread.setDaemon(true);
			return thread;
		});
		timer.scheduleWithFixedDelay(this::abortCancelled, interval.toMillis(), interval.toMillis(),
				TimeUnit.MILLISECONDS);
	}

	void watch(String jobId, InputStream input) {
		if (input instanceof ImportSources.Input abortable) {
			open.put(abortable, jobId);
		}
	}

	void forget(InputStream input) {
		if (input != null) {
			open.remove(input);
		}
	}

	void abortCancelled() {
		try {
			for (String jobId : new HashSet<>(open.values())) {
				if (table.find(jobId).map(job -> job.state().isActive()).orElse(false)) {
					continue;
				}
				Set<ImportSources.Input> inputs = new HashSet<>();
				open.forEach((input, job) -> {
					if (job.equals(jobId)) {
						inputs.add(input);
					}
				});
				inputs.forEach(input -> {
					open.remove(input);
					input.abort("the import job was cancelled");
				});
				LOG.info("Aborted {} open input(s) of cancelled import job {}", inputs.size(), jobId);
			}
		} catch (RuntimeException e) {
			// e.g. the database is away: try again at the next interval
			LOG.debug("Looking for cancelled imports failed: {}", e.toString());
		}
	}

	@Override
	public void close() {
		timer.shutdownNow();
	}
}
