package hapibulk.admin;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobProgress.TypeProgress;
import hapibulk.job.BulkJobState;
import hapibulk.job.StatusOptions;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JobProgressTest {

	private static final Instant STARTED = Instant.parse("2026-01-01T10:00:00Z");

	@Test
	void anExport_estimatesTheTimeLeft_onlyOnceFivePercentIsDone() {
		// given: 100 s in, 1,000 and 40 of 10,000 resources written
		Instant now = STARTED.plusSeconds(100);

		// when
		JobProgress tenth = JobProgress.of(job(BulkJobKind.EXPORT, BulkJobState.RUNNING, 1_000, 10_000), List.of(),
				STARTED, null, now);
		JobProgress early = JobProgress.of(job(BulkJobKind.EXPORT, BulkJobState.RUNNING, 40, 10_000), List.of(),
				STARTED, null, now);

		// then: 10 resources/s, 9,000 left
		assertThat(tenth.percent()).isEqualTo(10);
		assertThat(tenth.perSecond()).isEqualTo(10.0);
		assertThat(tenth.secondsLeft()).isEqualTo(900);
		assertThat(early.secondsLeft()).isNull();
	}

	@Test
	void aRunningImport_hasNoTotal_untilEveryInputIsRead() {
		// given
		BulkJob running = job(BulkJobKind.IMPORT, BulkJobState.RUNNING, 700, 0);

		// when
		JobProgress reading = JobProgress.of(running, List.of(new TypeProgress("Patient", 500, 500L),
				new TypeProgress("Encounter", 200, null)), STARTED, null, STARTED.plusSeconds(10));
		JobProgress read = JobProgress.of(running, List.of(new TypeProgress("Patient", 500, 500L),
				new TypeProgress("Encounter", 200, 200L)), STARTED, null, STARTED.plusSeconds(10));

		// then: no percentage and no estimate from a guessed total
		assertThat(reading.total()).isNull();
		assertThat(reading.percent()).isNull();
		assertThat(reading.secondsLeft()).isNull();
		assertThat(reading.unit()).isEqualTo("lines");
		assertThat(read.total()).isEqualTo(700);
		assertThat(read.percent()).isEqualTo(100);
	}

	private static BulkJob job(BulkJobKind kind, BulkJobState state, long done, long total) {
		return new BulkJob("j", kind, state, null, "http://localhost/fhir/$export", "{}", STARTED, STARTED, null, null,
				done, total, null, null, new StatusOptions(false, false, null));
	}

	@Test
	void xProgress_addsTheTimeLeft_onlyOnceFivePercentIsDone() {
		// given: 100 s in
		BulkJob tenth = new BulkJob("j", BulkJobKind.EXPORT, BulkJobState.RUNNING, null, "u", "{}", STARTED, STARTED, null,
				null, 1_000, 10_000, null, null, new StatusOptions(false, false, null), STARTED);
		BulkJob early = new BulkJob("j", BulkJobKind.EXPORT, BulkJobState.RUNNING, null, "u", "{}", STARTED, STARTED, null,
				null, 40, 10_000, null, null, new StatusOptions(false, false, null), STARTED);

		// then
		assertThat(tenth.progressText(STARTED.plusSeconds(100))).isEqualTo("10% (1000 of 10000 resources), about 15 min left");
		assertThat(early.progressText(STARTED.plusSeconds(100))).isEqualTo("0% (40 of 10000 resources)");
	}
}
