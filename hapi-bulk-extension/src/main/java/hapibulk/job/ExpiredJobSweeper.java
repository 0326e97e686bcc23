package hapibulk.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/** Deletes expired jobs' files every {@code hapi.bulk.cleanup-interval}, on a thread of its own. */
public class ExpiredJobSweeper extends PeriodicTask {

	private static final Logger LOG = LoggerFactory.getLogger(ExpiredJobSweeper.class);

	private final BulkJobService jobService;

	public ExpiredJobSweeper(BulkJobService jobService, Duration interval) {
		super("bulk-expiry-sweeper", interval);
		this.jobService = jobService;
	}

	@Override
	protected void runOnce() {
		try {
			int deleted = jobService.deleteExpired();
			if (deleted > 0) {
				LOG.info("Deleted the files of {} expired bulk jobs", deleted);
			}
		} catch (RuntimeException e) {
			LOG.warn("Sweeping expired bulk jobs failed; will retry", e);
		}
	}
}
