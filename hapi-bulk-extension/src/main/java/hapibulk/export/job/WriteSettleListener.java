package hapibulk.export.job;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.StepExecutionListener;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Before the export plan (outside its transaction): makes sure every write that HAPI stamped with a
 * {@code lastUpdated} at or before the export's {@code transactionTime} has committed before anything
 * is read, so that the export (which reads only resources last updated at or before its
 * {@code transactionTime}) and the {@code _since} export after it together miss none.
 * <ol>
 *   <li>Waits until {@code settle} after the {@code transactionTime}: HAPI stamps a write a moment
 *       before its transaction's first statement, when the database starts to know of it.</li>
 *   <li>Waits until every transaction open then has ended ({@link OpenTransactions}).</li>
 * </ol>
 * The time waited goes into the step's execution context ({@link #WAITED_MILLIS}).
 */
class WriteSettleListener implements StepExecutionListener {

	private static final Logger LOG = LoggerFactory.getLogger(WriteSettleListener.class);
	static final String WAITED_MILLIS = "exportWriteSettleMillis";

	private final BulkJobTable table;
	private final OpenTransactions openTransactions;
	private final Duration settle;
	private final Clock clock;

	WriteSettleListener(BulkJobTable table, OpenTransactions openTransactions, Duration settle, Clock clock) {
		this.table = table;
		this.openTransactions = openTransactions;
		this.settle = settle;
		this.clock = clock;
	}

	@Override
	public void beforeStep(StepExecution stepExecution) {
		String jobId = stepExecution.getJobParameters().getString(BulkJobKeys.BULK_JOB_ID);
		BulkJob job = table.find(jobId).orElseThrow(() -> new IllegalStateException("No job row for " + jobId));
		Instant start = clock.instant();
		try {
			long untilSettled = Duration.between(start, job.transactionTime().plus(settle)).toMillis();
			if (untilSettled > 0) {
				Thread.sleep(untilSettled);
			}
			Duration inFlight = openTransactions.awaitEnd();
			long waited = Duration.between(start, clock.instant()).toMillis();
			stepExecution.getExecutionContext().putLong(WAITED_MILLIS, waited);
			LOG.debug("Export {} waited {} ms for writes ({} ms for open transactions)", jobId, waited, inFlight.toMillis());
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for open writes", e);
		}
	}
}
