package hapibulk.audit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every record in the log; one stored per key and interval, carrying the count; keys bounded. */
class CoalescedAuditTest {

	final ListAppender<ILoggingEvent> auditLog = new ListAppender<>();
	final Logger logger = (Logger) LoggerFactory.getLogger(BulkAudit.LOGGER);
	final Movable clock = new Movable();
	final StoredRecords audit = new StoredRecords(clock);

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
	void record_logsEveryRecord_storesTheFirstOfEachKeyAndInterval_andTheNextStoredCarriesTheCount() {
		// given
		CoalescedAudit coalesced = new CoalescedAudit(audit, Duration.ofMinutes(1), clock, "reads-not-stored");

		// when: 30 records of key a, 5 of key b, then one of a after the interval
		for (int i = 0; i < 30; i++) {
			coalesced.record("a", record("a"));
		}
		for (int i = 0; i < 5; i++) {
			coalesced.record("b", record("b"));
		}
		clock.advance(Duration.ofSeconds(61));
		coalesced.record("a", record("a"));

		// then
		assertThat(auditLog.list).hasSize(36);
		assertThat(audit.stored()).hasSize(3);
		assertThat(audit.stored().get(0).details()).doesNotContainKey("reads-not-stored");
		assertThat(audit.stored().get(2).clientId()).isEqualTo("a");
		assertThat(audit.stored().get(2).details()).containsEntry("reads-not-stored", "29");
	}

	@Test
	void record_ofMoreKeysThanTheBoundInOneInterval_storesAtMostTheBoundAndOneMore_butLogsEachOne() {
		// given
		CoalescedAudit coalesced = new CoalescedAudit(audit, Duration.ofMinutes(1), clock, "n");

		// when: a new key for every record (e.g. a new address each time)
		int records = CoalescedAudit.MAX_KEYS + 500;
		for (int i = 0; i < records; i++) {
			coalesced.record("k" + i, record("k" + i));
		}

		// then
		assertThat(auditLog.list).hasSize(records);
		assertThat(audit.stored()).hasSize(CoalescedAudit.MAX_KEYS + 1);
	}

	private static AuditRecord record(String client) {
		return new AuditRecord(AuditAction.ADMIN_JOBS_LISTED, client, "10.0.0.1", "$bulk-jobs", true, Map.of("page", "1"));
	}

	static final class Movable extends Clock {
		private Instant now = Instant.now();

		void advance(Duration duration) {
			now = now.plus(duration);
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return now;
		}
	}
}
