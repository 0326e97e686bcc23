package hapibulk.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The extension's meters, on the host's {@link MeterRegistry} (Actuator's), all named {@code hapi.bulk.*}
 * (docs/metrics.md lists them). Features call the methods named after what happened; tags are only the
 * bounded values passed here (kind, level, resource type, outcome, step), never a job or client id.
 * <p>
 * Without a host registry ({@link #none()}) every method returns at once: nothing is registered anywhere
 * (not even on {@code Metrics.globalRegistry}) and nothing is counted.
 */
public final class BulkMetrics {

	public static final String PREFIX = "hapi.bulk.";

	private static final BulkMetrics NONE = new BulkMetrics(null);

	private final MeterRegistry registry;

	private BulkMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	/** Meters on the host's registry; {@link #none()} when it has none. */
	public static BulkMetrics on(MeterRegistry registry) {
		return registry == null ? NONE : new BulkMetrics(registry);
	}

	/** The no-op path: a host without Micrometer registry. */
	public static BulkMetrics none() {
		return NONE;
	}

	public boolean isOn() {
		return registry != null;
	}

	/**
	 * A kick-off answered: {@code accepted} (202, a job was created) or {@code refused} (429, too many
	 * jobs or files).
	 */
	public void kickOff(String kind, String level, String outcome) {
		if (registry != null) {
			Counter.builder(PREFIX + "kickoffs").description("Bulk kick-off requests answered 202 or 429")
					.tags("kind", kind, "level", level, "outcome", outcome).register(registry).increment();
		}
	}

	/** A job ended ({@code completed}, {@code failed}, {@code cancelled}) after {@code duration} since its kick-off. */
	public void jobFinished(String kind, String level, String state, Duration duration) {
		if (registry != null) {
			Counter.builder(PREFIX + "jobs.finished").description("Bulk jobs that ended, by final state")
					.tags("kind", kind, "level", level, "state", state).register(registry).increment();
			Timer.builder(PREFIX + "job.duration").description("Bulk jobs from kick-off to their end")
					.tags("kind", kind, "level", level, "state", state)
					.publishPercentileHistogram()
					.minimumExpectedValue(Duration.ofMillis(100))
					.maximumExpectedValue(Duration.ofHours(24))
					.register(registry).record(duration);
		}
	}

	/** Resources a completed job wrote: exported into its files, or stored by an import. */
	public void resources(String kind, String type, long count) {
		if (registry != null && count > 0) {
			Counter.builder(PREFIX + "resources").description("Resources written by completed bulk jobs")
					.tags("kind", kind, "type", type).register(registry).increment(count);
		}
	}

	/**
	 * Bytes of the files a completed job wrote.
	 *
	 * @param array the manifest array the file is listed in: output, deleted or error
	 */
	public void bytes(String kind, String type, String array, long bytes) {
		if (registry != null && bytes > 0) {
			Counter.builder(PREFIX + "bytes").description("Bytes of the files completed bulk jobs wrote")
					.baseUnit("bytes").tags("kind", kind, "type", type, "array", array).register(registry).increment(bytes);
		}
	}

	/** Lines of a completed import: {@code stored} or in {@code error}, by the input's resource type. */
	public void importLines(String type, String outcome, long count) {
		if (registry != null && count > 0) {
			Counter.builder(PREFIX + "import.lines").description("Lines of completed imports, stored or in error")
					.tags("type", type, "outcome", outcome).register(registry).increment(count);
		}
	}

	/** One transaction of a step (a chunk); {@code step} is the step's name, never a partition's. */
	public void chunk(String step, String outcome, Duration duration) {
		if (registry != null) {
			Timer.builder(PREFIX + "chunk.duration").description("Bulk job chunks (one transaction of a step)")
					.tags("step", step, "outcome", outcome)
					.publishPercentileHistogram()
					.minimumExpectedValue(Duration.ofMillis(1))
					.maximumExpectedValue(Duration.ofMinutes(10))
					.register(registry).record(duration);
		}
	}

	/**
	 * A partition request sent to the cluster's queue (one RabbitMQ message); {@code step} is the worker step's
	 * name, never a partition's.
	 */
	public void partitionSent(String step) {
		if (registry != null) {
			Counter.builder(PREFIX + "cluster.partitions.sent")
					.description("Partition requests this node sent to the cluster's queue")
					.tags("step", step).register(registry).increment();
		}
	}

	/** A token request answered with an access token. */
	public void tokenIssued() {
		if (registry != null) {
			Counter.builder(PREFIX + "tokens.issued").description("Access tokens issued by the token endpoint")
					.register(registry).increment();
		}
	}

	/** A token request refused; {@code reason} is the OAuth error code (invalid_client, invalid_scope, ...). */
	public void tokenRefused(String reason) {
		if (registry != null) {
			Counter.builder(PREFIX + "tokens.refused").description("Token requests refused, by OAuth error")
					.tags("reason", reason).register(registry).increment();
		}
	}

	/** A fetch of a client's JWKS by the token endpoint; {@code outcome} success or failure (error, timeout). */
	public void jwksFetched(String outcome) {
		if (registry != null) {
			Counter.builder(PREFIX + "jwks.fetches").description("Fetches of registered clients' JWKS URLs, by outcome")
					.tags("outcome", outcome).register(registry).increment();
		}
	}

	/** A status poll answered 429 (polled sooner than Retry-After said). */
	public void statusThrottled() {
		if (registry != null) {
			Counter.builder(PREFIX + "status.throttled").description("Status polls answered 429")
					.register(registry).increment();
		}
	}

	/**
	 * A value read when the registry is scraped (jobs queued, bytes held). {@code source} is kept strongly,
	 * so the gauge lives as long as the registry.
	 */
	public <T> void gauge(String name, String description, String baseUnit, String[] tags, T source,
			ToDoubleFunction<T> value) {
		if (registry != null) {
			Gauge.builder(PREFIX + name, source, value).description(description).baseUnit(baseUnit).tags(tags)
					.strongReference(true).register(registry);
		}
	}

	/** {@link #gauge} of a supplier. */
	public void gauge(String name, String description, String baseUnit, String[] tags, Supplier<Number> value) {
		gauge(name, description, baseUnit, tags, value, supplier -> supplier.get().doubleValue());
	}
}
