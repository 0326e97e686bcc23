package hapibulk.job;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.support.BulkErrors;
import hapibulk.support.OperationOutcomes;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * The status URL of every bulk job: {@code GET [base]/$bulk-status?job=ID} polls it,
 * {@code DELETE} cancels it. Reads only our job table.
 */
public class BulkStatusProvider {

	public static final String OPERATION = "$bulk-status";

	private final BulkJobService jobService;
	private final Duration retryAfter;

	public BulkStatusProvider(BulkJobService jobService, Duration retryAfter) {
		this.jobService = jobService;
		this.retryAfter = retryAfter;
	}

	public static String statusUrl(String serverBase, String jobId) {
		return serverBase + "/" + OPERATION + "?job=" + jobId;
	}

	@Operation(name = OPERATION, manualResponse = true, idempotent = true, deleteEnabled = true)
	public void status(
			@OperationParam(name = "job", typeName = "string", min = 1, max = 1) IPrimitiveType<String> jobId,
			ServletRequestDetails request) throws IOException {
		Optional<BulkJob> found = jobService.findVisible(jobId == null ? null : jobId.getValueAsString());
		if (found.isEmpty()) {
			OperationOutcomes.write(request, 404, "error", "not-found",
					BulkErrors.code(201) + "No bulk job with this id: it never existed, was cancelled or has expired");
			return;
		}
		BulkJob job = found.get();
		if (request.getRequestType() == RequestTypeEnum.DELETE) {
			jobService.cancel(job);
			OperationOutcomes.write(request, 202, "information", "informational",
					job.state().isActive() ? "Bulk job cancelled" : "Bulk job and its files deleted");
			return;
		}
		HttpServletResponse response = request.getServletResponse();
		switch (job.state()) {
			case ACCEPTED, RUNNING -> {
				response.setStatus(202);
				response.setHeader("X-Progress", job.progressText());
				response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
			}
			case COMPLETED -> {
				response.setStatus(200);
				response.setContentType("application/json");
				response.setCharacterEncoding("UTF-8");
				response.setHeader("Expires",
						DateTimeFormatter.RFC_1123_DATE_TIME.format(job.expiresAt().atOffset(ZoneOffset.UTC)));
				try (Writer writer = response.getWriter()) {
					writer.write(ManifestJson.render(ManifestJson.read(job.manifestJson()), request.getFhirServerBase(),
							job.id()));
				}
			}
			case FAILED -> OperationOutcomes.write(request, 500, "error", "exception",
					BulkErrors.code(202) + "The bulk job failed: " + job.errorMessage());
			default -> throw new IllegalStateException("Invisible job state " + job.state());
		}
	}
}
