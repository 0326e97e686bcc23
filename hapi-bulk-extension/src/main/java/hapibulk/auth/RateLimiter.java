package hapibulk.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per key and minute (fixed one-minute windows: at most twice the limit across a window's
 * edge, which is enough to stop a flood). Memory is bounded: past {@code maxKeys} keys the finished
 * windows are dropped, and if that is not enough, all of them (a flood then gets one fresh window).
 */
public class RateLimiter {

	private static final long MINUTE = 60_000;

	private final int perMinute;
	private final int maxKeys;
	private final Clock clock;
	private final Map<String, Window> windows = new ConcurrentHashMap<>();

	private record Window(long minute, int count) {}

	/** @param perMinute requests per key and minute; 0 or less switches the limit off */
	public RateLimiter(int perMinute, int maxKeys, Clock clock) {
		this.perMinute = perMinute;
		this.maxKeys = maxKeys;
		this.clock = clock;
	}

	/** Counts one request of {@code key}: empty when it may go on, else how long until it may (for Retry-After). */
	public Optional<Duration> acquire(String key) {
		if (perMinute <= 0) {
			return Optional.empty();
		}
		long now = clock.millis();
		long minute = now / MINUTE;
		if (windows.size() >= maxKeys && !windows.containsKey(key)) {
			windows.values().removeIf(window -> window.minute() != minute);
			if (windows.size() >= maxKeys) {
				windows.clear();
			}
		}
		Window window = windows.compute(key, (k, old) -> old == null || old.minute() != minute ? new Window(minute, 1)
				: new Window(minute, old.count() == Integer.MAX_VALUE ? old.count() : old.count() + 1));
		if (window.count() <= perMinute) {
			return Optional.empty();
		}
		return Optional.of(Duration.ofMillis((minute + 1) * MINUTE - now));
	}
}
