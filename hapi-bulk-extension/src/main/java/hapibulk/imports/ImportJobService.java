package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.auth.JobOwner;
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
 * checking that it names no more inputs than allowed, that every input is allowed, that the server
 * has room for another import, and only then that the inputs can be read now (so that a wrong URL
 * is the client's 4xx, not a failed job later).
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
		return submitAs(request, JobOwner.client(owner));
	}

	/** @param owner the client (and patient context, if its token had one) the job belongs to */
	public BulkJob submitAs(ImportRequest request, JobOwner owner) {
		// the cheap checks first: nothing is fetched for a request that is refused anyway
		int maxInputs = sources.settings().maxInputs();
		if (request.inputs().size() > maxInputs) {
			throw new InvalidRequestException(BulkErrors.code(229) + "An import may name at most " + maxInputs
					+ " inputs (hapi.bulk.import.max-inputs); this one names " + request.inputs().size());
		}
		request.inputs().forEach(input -> sources.checkAllowed(input.url(), request.sourceAccess()));
		BulkJobService.ActiveLimit limit = new BulkJobService.ActiveLimit(maxRunningImports, BulkErrors.code(220)
				+ "The server is running its maximum of " + maxRunningImports + " imports; try again later");
		// A cheap early refusal before the sources are probed; the job service checks again, atomically.
		if (table.countActive(BulkJobKind.IMPORT) >= maxRunningImports) {
			throw new TooManyRequestsException(limit.refusal(), retryAfter.multipliedBy(5));
		}
		sources.probeAll(request.inputs().stream().map(ImportRequest.Input::url).toList(), request.sourceAccess());
		return jobService.submit(new BulkJobService.Submission(BulkJobKind.IMPORT, importJob, request.requestUrl(),
				request.toJson(), owner, clock.instant(), new JobParametersBuilder(), StatusOptions.DEFAULT, limit));
	}
}
