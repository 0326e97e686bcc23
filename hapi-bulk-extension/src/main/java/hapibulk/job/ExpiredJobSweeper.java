package hapibulk.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Deletes expired jobs' files every {@code hapi.bulk.cleanup-interval}, on a thread of its own. */
public class ExpiredJobSweeper implements SmartLifecycle {

	private static final Logger LOG = LoggerFactory.getLogger(ExpiredJobSweeper.class);

	private final BulkJobService jobService;
	private final Duration interval;
	private ScheduledExecutorService scheduler;

	public ExpiredJobSweeper(BulkJobService jobService, Duration interval) {
		this.jobService = jobService;
		this.interval = interval;
	}

	@Override
	public synchronized void start() {
		scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, "bulk-expiry-sweeper");
			thread.setDaemon(true);
			return thread;
		});
		scheduler.scheduleWithFixedDelay(this::sweep, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
	}

	void sweep() {
		try {
			int deleted = jobService.deleteExpired();
			if (deleted > 0) {
				LOG.info("Deleted the files of {} expired bulk jobs", deleted);
			}
		} catch (RuntimeException e) {
			LOG.warn("Sweeping expired bulk jobs failed; will retry", e);
		}
	}

	@Override
	public synchronized void stop() {
		if (scheduler != null) {
			scheduler.shutdownNow();
			scheduler = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return scheduler != null;
	}
}
