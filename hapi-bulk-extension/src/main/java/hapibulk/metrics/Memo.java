package hapibulk.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * A value computed at most once per {@code maxAge}: gauges that cost a query or a directory walk stay
 * cheap however often, and by however many registries, they are read.
 */
public final class Memo<T> implements Supplier<T> {

	private final Supplier<T> source;
	private final Duration maxAge;
	private final Clock clock;
	private T value;
	private Instant computedAt;

	public Memo(Supplier<T> source, Duration maxAge, Clock clock) {
		this.source = source;
		this.maxAge = maxAge;
		this.clock = clock;
	}

	@Override
	public synchronized T get() {
		Instant now = clock.instant();
		if (computedAt == null || !now.isBefore(computedAt.plus(maxAge))) {
			value = source.get();
			computedAt = now;
		}
		return value;
	}
}
