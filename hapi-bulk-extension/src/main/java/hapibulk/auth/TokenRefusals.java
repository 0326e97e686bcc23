package hapibulk.auth;

import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.audit.CoalescedAudit;
import hapibulk.metrics.BulkMetrics;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Refused token requests, audited without letting a flood of them write a flood of AuditEvents: every
 * refusal is written to the audit log; of the refusals with one claimed client (the registered client an
 * assertion names, or none), OAuth error, reason and address, the first of each interval is also stored
 * as an AuditEvent and the rest are counted; the next stored one of that key carries the count
 * ({@code refusals-not-stored}). Reasons and addresses are part of the key, so one stored event never
 * stands for refusals of another address or another cause.
 */
public class TokenRefusals {

	static final String NOT_STORED = "refusals-not-stored";

	private final CoalescedAudit audit;
	private final AtomicLong total = new AtomicLong();
	private final BulkMetrics metrics;

	public TokenRefusals(BulkAudit audit, Duration interval, Clock clock) {
		this(audit, interval, clock, BulkMetrics.none());
	}

	/** @param metrics counts every refusal by its OAuth error ({@code hapi.bulk.tokens.refused}) */
	public TokenRefusals(BulkAudit audit, Duration interval, Clock clock, BulkMetrics metrics) {
		this.audit = new CoalescedAudit(audit, interval, clock, NOT_STORED);
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
		Map<String, String> details = new LinkedHashMap<>();
		details.put("error", error.error());
		details.put("reason", error.getMessage());
		if (claimed != null && clientId == null) {
			details.put("claimed-client", claimed);
		}
		String key = String.join("\u0000", String.valueOf(claimed), error.error(), String.valueOf(error.getMessage()),
				String.valueOf(address));
		audit.record(key, new AuditRecord(AuditAction.TOKEN_REFUSED, clientId, address, "token", false, details));
	}

	/** Every refusal since start-up (audited or only counted). */
	public long total() {
		return total.get();
	}
}
