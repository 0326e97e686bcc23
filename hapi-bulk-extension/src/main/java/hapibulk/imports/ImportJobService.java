package hapibulk.imports;

import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobService;
import hapibulk.job.StatusOptions;
import hapibulk.job.BulkJobTable;
import hapibulk.support.BulkErrors;
import hapibulk.support.TooManyRequestsException;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobParametersBuilder;

import java.time.Clock;
import java.time.Duration;

/**
 * Turns an {@link ImportRequest} into a bulk job running the import Spring Batch job, after
 * checking that every input is allowed and can be read now (so that a wrong URL is the client's
 * 4xx, not a failed job later) and that the server has room for another import.
 */
public class ImportJobService {

	private final BulkJobService jobService;
	private final BulkJobTable table;
	private final ImportSources sources;
	private final Job importJob;
	private final int maxRunningImports;
	private final Duration retryAfter;
	private final Clock clock;

	public ImportJobService(BulkJobService jobService, BulkJobTable table, ImportSources sources, Job importJob,
			int maxRunningImports, Duration retryAfter, Clock clock) {
		this.jobService = jobService;
		this.table = table;
		this.sources = sources;
		this.importJob = importJob;
		this.maxRunningImports = maxRunningImports;
		this.retryAfter = retryAfter;
		this.clock = clock;
	}

	/**
	 * @param owner the client that asked for it (only it may see the job), or null when authorization is off
	 */
	public BulkJob submit(ImportRequest request, String owner) {
		request.inputs().forEach(input -> sources.checkAllowed(input.url()));
		request.inputs().forEach(input -> sources.probe(input.url()));
		if (table.countActive(BulkJobKind.IMPORT) >= maxRunningImports) {
			throw new TooManyRequestsException(BulkErrors.code(220) + "The server is running its maximum of "
					+ maxRunningImports + " imports; try again later", retryAfter.multipliedBy(5));
		}
		return jobService.submit(new BulkJobService.Submission(BulkJobKind.IMPORT, importJob, request.requestUrl(),
				request.toJson(), owner, clock.instant(), new JobParametersBuilder(), StatusOptions.DEFAULT));
	}
}
