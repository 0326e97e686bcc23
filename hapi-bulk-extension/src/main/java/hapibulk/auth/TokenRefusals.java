package hapibulk.auth;

import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.metrics.BulkMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Refused token requests, audited without letting a flood of them write a flood of AuditEvents:
 * per client (the registered client an assertion names, or none) and OAuth error, the first refusal
 * of each interval is audited (log line and AuditEvent) and the rest are counted; the next audited
 * refusal of that client and error carries the count ({@code refusals-not-audited}). Keys are
 * registered clients times a handful of errors, so memory stays bounded.
 */
public class TokenRefusals {

	private static final Logger LOG = LoggerFactory.getLogger(TokenRefusals.class);

	private final BulkAudit audit;
	private final Duration interval;
	private final Clock clock;
	private final Map<String, Window> windows = new ConcurrentHashMap<>();
	private final AtomicLong total = new AtomicLong();
	private final BulkMetrics metrics;

	/** @param notAudited refusals of this key counted but not audited since {@code start} */
	private record Window(Instant start, long notAudited, long carried) {}

	public TokenRefusals(BulkAudit audit, Duration interval, Clock clock) {
		this(audit, interval, clock, BulkMetrics.none());
	}

	/** @param metrics counts every refusal by its OAuth error ({@code hapi.bulk.tokens.refused}) */
	public TokenRefusals(BulkAudit audit, Duration interval, Clock clock, BulkMetrics metrics) {
		this.audit = audit;
		this.interval = interval;
		this.clock = clock;
		this.metrics = metrics;
	}

	/**
	 * @param clientId the authenticated client, if it got that far
	 * @param claimed  the registered client the assertion names (unverified), or null
	 */
	public void refused(String clientId, String claimed, String address, OAuthError error) {
		total.incrementAndGet();
		// A rate-limited request is invalid_request to the client, but a reason of its own to an operator.
		metrics.tokenRefused(error.status() == 429 ? "too_many_requests" : error.error());
		Instant now = clock.instant();
		String key = (claimed == null ? "-" : claimed) + "|" + error.error();
		Window window = windows.compute(key, (k, old) -> {
			if (old == null || !now.isBefore(old.start().plus(interval))) {
				return new Window(now, 0, old == null ? 0 : old.notAudited());
			}
			return new Window(old.start(), old.notAudited() + 1, old.carried());
		});
		if (window.notAudited() > 0) {
			LOG.debug("Token request refused ({}), counted, not audited: {}", error.error(), error.getMessage());
			return;
		}
		Map<String, String> details = new LinkedHashMap<>();
		details.put("error", error.error());
		details.put("reason", error.getMessage());
		if (claimed != null && clientId == null) {
			details.put("claimed-client", claimed);
		}
		if (window.carried() > 0) {
			details.put("refusals-not-audited", Long.toString(window.carried()));
		}
		audit.record(new AuditRecord(AuditAction.TOKEN_REFUSED, clientId, address, "token", false, details));
	}

	/** Every refusal since start-up (audited or only counted). */
	public long total() {
		return total.get();
	}
}
