package hapibulk.admin;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobProgress.TypeProgress;
import hapibulk.job.BulkJobState;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A job's progress as administrators see it, from counts only: done of total (total null while unknown: an
 * import's lines before its inputs are read), the percentage, the throughput and, once {@link #ESTIMATE_FROM}
 * of a known total is done, an estimate of the time left (the rate so far, projected onto what is left).
 *
 * @param unit        what is counted: resources (export) or lines (import)
 * @param secondsLeft null until an estimate can be made, and once the job is no longer running
 */
record JobProgress(long done, Long total, Integer percent, String unit, Double perSecond, Long secondsLeft,
		List<TypeProgress> types) {

	/** An estimate before this share is done would be mostly noise (start-up, the first chunks). */
	static final double ESTIMATE_FROM = 0.05;

	static JobProgress of(BulkJob job, List<TypeProgress> types, Instant startedAt, Instant finishedAt, Instant now) {
		Long total = job.progressTotal() > 0 || job.state() == BulkJobState.COMPLETED ? job.progressTotal() : null;
		if (total == null && job.kind() == BulkJobKind.IMPORT && !types.isEmpty()
				&& types.stream().allMatch(type -> type.total() != null)) {
			// every input read to its end: the import's lines are all known
			total = types.stream().mapToLong(TypeProgress::total).sum();
		}
		long done = job.progressDone();
		Integer percent = total == null ? null : total == 0 ? 100 : (int) Math.min(100, done * 100 / total);
		Double perSecond = null;
		Long secondsLeft = null;
		if (startedAt != null) {
			Duration elapsed = Duration.between(startedAt, finishedAt != null ? finishedAt : now);
			if (!elapsed.isNegative() && elapsed.toMillis() > 0) {
				perSecond = done * 1000.0 / elapsed.toMillis();
				if (job.state() == BulkJobState.RUNNING && total != null && total > 0 && done < total
						&& done >= ESTIMATE_FROM * total) {
					secondsLeft = Math.round(elapsed.toMillis() / 1000.0 * (total - done) / done);
				}
			}
		}
		return new JobProgress(done, total, percent, job.kind() == BulkJobKind.IMPORT ? "lines" : "resources", perSecond,
				secondsLeft, types);
	}

	static Integer percent(TypeProgress type) {
		return type.total() == null ? null : type.total() == 0 ? 100 : (int) Math.min(100, type.done() * 100 / type.total());
	}
}
