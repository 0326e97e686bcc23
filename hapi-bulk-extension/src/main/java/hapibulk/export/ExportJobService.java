package hapibulk.export;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.export.job.ExportScopeResolver;
import hapibulk.export.job.ExportScopeResolver.ExportScope;
import hapibulk.auth.JobOwner;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobService;
import hapibulk.support.BulkErrors;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobParametersBuilder;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Turns an {@link ExportRequest} into a bulk job running the export Spring Batch job, after
 * checking that its Group and patients exist and that the server has room for another export.
 */
public class ExportJobService {

	private final BulkJobService jobService;
	private final ExportScopeResolver scopeResolver;
	private final Job exportJob;
	private final int maxRunningExports;
	private final Clock clock;

	public ExportJobService(BulkJobService jobService, ExportScopeResolver scopeResolver, Job exportJob,
			int maxRunningExports, Clock clock) {
		this.jobService = jobService;
		this.scopeResolver = scopeResolver;
		this.exportJob = exportJob;
		this.maxRunningExports = maxRunningExports;
		this.clock = clock;
	}

	/**
	 * Lenient handling of {@code patient}: unknown patients and non-members of the Group contribute nothing
	 * and are reported in the error file. When none is left the request is still refused, since an empty
	 * {@code patient} list would mean every patient.
	 */
	public ExportRequest withoutUnusablePatients(ExportRequest request) {
		if (request.level() == ExportLevel.SYSTEM || request.patientIds().isEmpty()) {
			return request;
		}
		Map<String, String> unusable = scopeResolver.unusablePatients(request);
		if (unusable.isEmpty()) {
			return request;
		}
		if (unusable.size() == request.patientIds().size()) {
			throw new InvalidRequestException(BulkErrors.code(138) + "None of the patients named by 'patient' can be"
					+ " exported: " + String.join("; ", unusable.values()));
		}
		return request.withoutPatients(List.copyOf(unusable.keySet()), unusable.values().stream()
				.map(reason -> new IgnoredParameter(ExportParameterNames.PATIENT, reason)).toList());
	}

	/**
	 * An export without an owner (authorization off).
	 *
	 * @param patientInstance whether this is {@code Patient/[id]/$export}, whose unknown patient is a 404
	 */
	public BulkJob submit(ExportRequest request, boolean patientInstance) {
		return submitAs(request, patientInstance, JobOwner.NONE);
	}

	/**
	 * @param owner the client the job belongs to (null when authorization is off): only it may see the job
	 */
	public BulkJob submit(ExportRequest request, boolean patientInstance, String owner) {
		return submitAs(request, patientInstance, JobOwner.client(owner));
	}

	/**
	 * @param owner the client and patient context the job belongs to: only a request of the same sees the job
	 */
	public BulkJob submitAs(ExportRequest request, boolean patientInstance, JobOwner owner) {
		// Resolved once, here: the job's plan reads the keys from the job row.
		ExportRequest resolved = request.withScope(request.level() == ExportLevel.SYSTEM ? ExportScope.NONE
				: scopeResolver.resolve(request, patientInstance));
		// Everything the job needs is in the job row; the only job parameter is the job's id.
		return jobService.submit(new BulkJobService.Submission(BulkJobKind.EXPORT, exportJob, resolved.requestUrl(),
				resolved.toJson(), owner, transactionTime(), new JobParametersBuilder(), resolved.statusOptions(),
				new BulkJobService.ActiveLimit(maxRunningExports, BulkErrors.code(117) + "The server is running its"
						+ " maximum of " + maxRunningExports + " exports; try again later")));
	}

	/**
	 * The export's upper bound: the last whole millisecond before now (HAPI's lastUpdated has
	 * millisecond precision), so that whatever is written from now on, such as the kick-off's own
	 * AuditEvent, is after it and goes to the next {@code _since} export.
	 */
	private Instant transactionTime() {
		return clock.instant().truncatedTo(ChronoUnit.MILLIS).minusMillis(1);
	}
}
