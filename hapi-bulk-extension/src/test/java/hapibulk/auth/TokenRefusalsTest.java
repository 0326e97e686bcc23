package hapibulk.auth;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.audit.StoredRecords;
import hapibulk.metrics.BulkMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A flood of refused token requests is counted and logged one by one, and stored once per claimed client, error,
 * reason, address and interval.
 */
class TokenRefusalsTest {

	final ListAppender<ILoggingEvent> auditLog = new ListAppender<>();
	final Logger logger = (Logger) LoggerFactory.getLogger(BulkAudit.LOGGER);

	@BeforeEach
	void captureAuditLog() {
		auditLog.start();
		logger.addAppender(auditLog);
	}

	@AfterEach
	void release() {
		logger.detachAppender(auditLog);
	}

	@Test
	void refused_manyTimesInOneInterval_isLoggedEveryTime_storedOncePerAddressAndReason_andTheNextCarriesTheCount() {
		// given
		ClientAssertionVerifierTest.MovableClock clock = new ClientAssertionVerifierTest.MovableClock();
		StoredRecords audit = new StoredRecords(clock);
		TokenRefusals refusals = new TokenRefusals(audit, Duration.ofMinutes(1), clock);

		// when: 500 refusals naming c1 in a minute from two addresses, one of another reason from the first address,
		// one of another kind, then one after the minute
		for (int i = 0; i < 500; i++) {
			refusals.refused(null, "c1", "10.0.0." + (i % 2), OAuthError.invalidClient("bad signature"));
		}
		refusals.refused(null, "c1", "10.0.0.0", OAuthError.invalidClient("The client_assertion has expired"));
		refusals.refused(null, null, "10.9.9.9", OAuthError.invalidRequest("client_assertion is missing"));
		clock.advance(Duration.ofSeconds(61));
		refusals.refused(null, "c1", "10.0.0.1", OAuthError.invalidClient("bad signature"));

		// then: every refusal is in the log; stored: one per address and reason, and the count after the minute
		assertThat(refusals.total()).isEqualTo(503);
		assertThat(auditLog.list).hasSize(503);
		assertThat(auditLog.list).allSatisfy(line -> assertThat(line.getFormattedMessage())
				.contains("\"action\":\"token-refused\"").contains("\"address\":\"10."));
		assertThat(audit.stored()).extracting(AuditRecord::address)
				.containsExactly("10.0.0.0", "10.0.0.1", "10.0.0.0", "10.9.9.9", "10.0.0.1");
		assertThat(audit.stored().get(2).details()).containsEntry("reason", "The client_assertion has expired");
		assertThat(audit.stored().get(4).details()).containsEntry(TokenRefusals.NOT_STORED, "249")
				.containsEntry("claimed-client", "c1");
	}

	@Test
	void refused_isCountedByReason_evenWhenNotAudited_andARateLimitIsAReasonOfItsOwn() {
		// given
		ClientAssertionVerifierTest.MovableClock clock = new ClientAssertionVerifierTest.MovableClock();
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		TokenRefusals refusals = new TokenRefusals(new BulkAudit(null, null, clock), Duration.ofMinutes(1), clock,
				BulkMetrics.on(registry));

		// when: 3 bad signatures (audited once), one missing assertion, 2 requests over the rate limit
		for (int i = 0; i < 3; i++) {
			refusals.refused(null, "c1", "10.0.0.1", OAuthError.invalidClient("bad signature"));
		}
		refusals.refused(null, null, "10.0.0.2", OAuthError.invalidRequest("client_assertion is missing"));
		refusals.refused(null, null, "10.0.0.3", OAuthError.tooManyRequests("slow down", Duration.ofSeconds(5)));
		refusals.refused(null, null, "10.0.0.3", OAuthError.tooManyRequests("slow down", Duration.ofSeconds(5)));

		// then: one counter per reason, no client or address among the tags
		assertThat(registry.get("hapi.bulk.tokens.refused").tag("reason", "invalid_client").counter().count())
				.isEqualTo(3);
		assertThat(registry.get("hapi.bulk.tokens.refused").tag("reason", "invalid_request").counter().count())
				.isEqualTo(1);
		assertThat(registry.get("hapi.bulk.tokens.refused").tag("reason", "too_many_requests").counter().count())
				.isEqualTo(2);
		assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTags())
				.allMatch(tag -> tag.getKey().equals("reason")));
	}
}
