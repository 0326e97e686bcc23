package hapibulk.audit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Audits records that may come in floods (refused token requests, reads of the job list) without letting a flood
 * become a flood of AuditEvents: every record is written to the audit log; per key, only the first of each interval
 * is also stored as an AuditEvent, and it carries how many records of that key were not stored in the key's
 * interval before ({@code countDetail}). The caller's key keeps apart what must not be merged (clients, reasons,
 * addresses). Keys are bounded: when {@link #MAX_KEYS} are live, expired ones are dropped, and while still full
 * new keys share one overflow key (their log lines stay complete).
 */
public class CoalescedAudit {

	static final int MAX_KEYS = 1_000;
	static final String OVERFLOW = "\u0000overflow";

	private final BulkAudit audit;
	private final Duration interval;
	private final Clock clock;
	private final String countDetail;
	private final Map<String, Window> windows = new ConcurrentHashMap<>();

	/** @param notStored records of this key logged but not stored since {@code start}; carried: of the interval before */
	private record Window(Instant start, long notStored, long carried) {}

	/** @param countDetail the detail that carries the count of records left unstored ({@code refusals-not-stored}) */
	public CoalescedAudit(BulkAudit audit, Duration interval, Clock clock, String countDetail) {
		this.audit = audit;
		this.interval = interval;
		this.clock = clock;
		this.countDetail = countDetail;
	}

	public void record(String key, AuditRecord record) {
		Instant now = clock.instant();
		String bounded = bound(key, now);
		Window window = windows.compute(bounded, (k, old) -> {
			if (old == null || !now.isBefore(old.start().plus(interval))) {
				return new Window(now, 0, old == null ? 0 : old.notStored());
			}
			return new Window(old.start(), old.notStored() + 1, old.carried());
		});
		if (window.notStored() > 0) {
			audit.log(record);
			return;
		}
		audit.record(window.carried() > 0 ? record.with(countDetail, Long.toString(window.carried())) : record);
	}

	private String bound(String key, Instant now) {
		if (windows.size() < MAX_KEYS || windows.containsKey(key)) {
			return key;
		}
		windows.entrySet().removeIf(entry -> !now.isBefore(entry.getValue().start().plus(interval)));
		return windows.size() < MAX_KEYS ? key : OVERFLOW;
	}
}
