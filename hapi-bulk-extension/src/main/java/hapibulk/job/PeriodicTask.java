package hapibulk.job;

import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link #runOnce()} on a daemon thread of its own, every interval after the previous run ended
 * (fixed delay), from context start to context stop. An interval of zero or less never runs it.
 */
public abstract class PeriodicTask implements SmartLifecycle {

	private final String threadName;
	private final Duration interval;
	private ScheduledExecutorService scheduler;

	protected PeriodicTask(String threadName, Duration interval) {
		this.threadName = threadName;
		this.interval = interval;
	}

	/** One run. What it throws ends the schedule (as with any scheduled executor): catch what may pass. */
	protected abstract void runOnce();

	@Override
	public synchronized void start() {
		long millis = interval.toMillis();
		if (millis <= 0) {
			return;
		}
		scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
			Thread thread = new Thread(runnable, threadName);
			thread.setDaemon(true);
			return thread;
		});
		scheduler.scheduleWithFixedDelay(this::runOnce, millis, millis, TimeUnit.MILLISECONDS);
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
