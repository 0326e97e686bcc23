package hapibulk.export;

import hapibulk.export.job.ExportJobKeys;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobService;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobParametersBuilder;

import java.time.Clock;

/** Turns an {@link ExportRequest} into a bulk job running the export Spring Batch job. */
public class ExportJobService {

	private final BulkJobService jobService;
	private final Job exportJob;
	private final Clock clock;

	public ExportJobService(BulkJobService jobService, Job exportJob, Clock clock) {
		this.jobService = jobService;
		this.exportJob = exportJob;
		this.clock = clock;
	}

	public BulkJob submit(ExportRequest request) {
		JobParametersBuilder parameters = new JobParametersBuilder()
				.addString(ExportJobKeys.TYPES, String.join(",", request.types()), false);
		if (request.since() != null) {
			parameters.addLong(ExportJobKeys.SINCE, request.since().toEpochMilli(), false);
		}
		return jobService.submit(new BulkJobService.Submission(BulkJobKind.EXPORT, exportJob, request.requestUrl(),
				request.toJson(), null, clock.instant(), parameters));
	}
}
