package hapibulk.job;

import hapibulk.metrics.BulkMetrics;
import hapibulk.metrics.Memo;
import hapibulk.storage.BulkFileStore;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The gauges read at each scrape: jobs queued and running (from the job table, so every node of a cluster
 * reports the same figures), bytes the file store holds and the free space left where files go.
 */
public final class JobGauges {

	/** Registers the gauges on the host's registry (nothing without one). */
	public JobGauges(BulkMetrics metrics, BulkJobTable table, BulkFileStore fileStore, Clock clock) {
		if (!metrics.isOn()) {
			return;
		}
		Memo<List<BulkJob>> active = new Memo<>(table::findActive, Duration.ofSeconds(1), clock);
		for (BulkJobKind kind : BulkJobKind.values()) {
			for (BulkJobState state : List.of(BulkJobState.ACCEPTED, BulkJobState.RUNNING)) {
				metrics.gauge("jobs.active", "Bulk jobs queued (accepted) or running now", null,
						new String[] {"kind", JobMeters.kind(kind), "state", state == BulkJobState.ACCEPTED ? "queued"
								: "running"},
						() -> count(active.get(), kind).getOrDefault(state, 0L));
			}
		}
		Memo<OptionalLong> held = new Memo<>(fileStore::totalBytesHeld, Duration.ofSeconds(10), clock);
		metrics.gauge("storage.held", "Bytes the bulk file store holds", "bytes", new String[] {},
				() -> orNaN(held.get()));
		metrics.gauge("storage.free", "Bytes free where bulk files are written", "bytes", new String[] {},
				() -> orNaN(fileStore.usableSpace()));
	}

	private static Map<BulkJobState, Long> count(List<BulkJob> jobs, BulkJobKind kind) {
		Map<BulkJobState, Long> counts = new EnumMap<>(BulkJobState.class);
		jobs.stream().filter(job -> job.kind() == kind).forEach(job -> counts.merge(job.state(), 1L, Long::sum));
		return counts;
	}

	/** A store that cannot tell (an object store) reports no value rather than a false zero. */
	private static double orNaN(OptionalLong value) {
		return value.isPresent() ? value.getAsLong() : Double.NaN;
	}
}
