package hapibulk.status;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobStateListener;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.support.BulkErrors;
import hapibulk.tenant.Tenant;
import hapibulk.tenant.Tenants;
import hapibulk.support.BulkJson;
import hapibulk.support.OperationOutcomes;
import hapibulk.support.ServerBaseUrl;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.io.IOException;
import java.io.Writer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The status URL of every bulk job: {@code GET [base]/$bulk-status?job=ID} polls it,
 * {@code DELETE} cancels it. Reads only our job table.
 */
public class BulkStatusProvider {

	public static final String OPERATION = "$bulk-status";
	/** What a failed job answers (with its id as correlation id): {@link BulkJobStateListener#FAILED_CODE}. */
	public static final String FAILED_CODE = BulkJobStateListener.FAILED_CODE;
	private static final Map<Integer, String> REASONS = Map.of(200, "OK", 202, "Accepted", 500, "Internal Server Error");

	private final BulkJobService jobService;
	private final Duration retryAfter;
	private final boolean requiresAccessToken;
	private final Clock clock;
	private final BulkAuthorization authorization;
	private final BulkAudit audit;
	private final ServerBaseUrl baseUrl;
	/**
	 * When each running job was last polled, to answer 429 to clients that poll faster than
	 * {@code Retry-After} told them. Soft state: losing it (a restart) only forgives one fast poll.
	 */
	private final Tenants tenants;
	private final Map<String, Instant> lastPolls = new ConcurrentHashMap<>();

	public BulkStatusProvider(BulkJobService jobService, Duration retryAfter, boolean requiresAccessToken, Clock clock,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl) {
		this(jobService, retryAfter, requiresAccessToken, clock, authorization, audit, baseUrl, Tenants.none());
	}

	/** @param tenants which tenant a request is in: another tenant's job is answered like an unknown one */
	public BulkStatusProvider(BulkJobService jobService, Duration retryAfter, boolean requiresAccessToken, Clock clock,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Tenants tenants) {
		this.tenants = tenants;
		this.baseUrl = baseUrl;
		this.requiresAccessToken = requiresAccessToken;
		this.jobService = jobService;
		this.retryAfter = retryAfter;
		this.clock = clock;
		this.authorization = authorization;
		this.audit = audit;
	}

	public static String statusUrl(String serverBase, String jobId) {
		return serverBase + "/" + OPERATION + "?job=" + jobId;
	}

	@Operation(name = OPERATION, manualResponse = true, idempotent = true, deleteEnabled = true)
	public void status(
			@OperationParam(name = "job", typeName = "string", min = 1, max = 1) IPrimitiveType<String> jobId,
			@OperationParam(name = "page", typeName = "string", max = 1) IPrimitiveType<String> page,
			ServletRequestDetails request) throws IOException {
		BulkRequestParameters.requireSingle(request, "job", "page");
		int pageNumber = BulkRequestParameters.pageNumber(page == null ? null : page.getValueAsString());
		// Another owner's job (another client, or the same in another patient context) is answered exactly like an unknown one: no hint that it exists. An administrator
		// may cancel any job (but reads only its own: the manifest's files are data).
		boolean adminCancel = request.getRequestType() == RequestTypeEnum.DELETE && authorization.isAdmin(request);
		// Another tenant's job is unknown to everyone of this tenant, an administrator of bulk jobs included.
		Tenant tenant = tenants.ofRequest(request, OPERATION);
		Optional<BulkJob> found = jobService.findVisible(jobId == null ? null : jobId.getValueAsString())
				.filter(job -> tenants.mayAccess(tenant, job.tenant()))
				.filter(job -> adminCancel || authorization.mayAccessJob(request, job.ownedBy()));
		if (found.isEmpty()) {
			OperationOutcomes.write(request, 404, "error", "not-found",
					BulkErrors.code(201) + "No bulk job with this id: it never existed, was cancelled or has expired");
			return;
		}
		BulkJob job = found.get();
		if (request.getRequestType() == RequestTypeEnum.DELETE) {
			jobService.cancel(job);
			if (authorization.mayAccessJob(request, job.ownedBy())) {
				audit.record(AuditRecord.of(AuditAction.JOB_CANCELLED, job.owner(), request, OPERATION, true,
						Map.of("job", job.id(), "kind", job.kind().name(), "state", job.state().name())));
			} else {
				audit.record(AuditRecord.of(AuditAction.ADMIN_JOB_CANCELLED, authorization.owner(request), request,
						OPERATION, true, Map.of("job", job.id(), "owner", String.valueOf(job.owner()), "kind", job.kind().name(),
								"state", job.state().name())));
			}
			OperationOutcomes.write(request, 202, "information", "informational",
					job.state().isActive() ? "Bulk job cancelled" : "Bulk job and its files deleted");
			return;
		}
		HttpServletResponse response = request.getServletResponse();
		if (!job.state().isActive()) {
			lastPolls.remove(job.id());
		} else if (pollsTooFast(job.id())) {
			response.setHeader("Retry-After", retryAfterSeconds());
			OperationOutcomes.write(request, 429, "error", "throttled", BulkErrors.code(204)
					+ "Polled sooner than Retry-After said; wait " + retryAfterSeconds() + " s between polls");
			return;
		}
		Optional<BulkJobFiles.Page> manifestPage = job.statusOptions().partialManifests() && job.state() != BulkJobState.FAILED
				? jobService.manifestPage(job, pageNumber) : Optional.empty();
		if (pageNumber != 1 && manifestPage.isEmpty()) {
			OperationOutcomes.write(request, 404, "error", "not-found", BulkErrors.code(205) + "No manifest page "
					+ pageNumber + " of this bulk job: pages are handed out in order, as files are finished");
			return;
		}
		switch (job.state()) {
			case ACCEPTED, RUNNING -> {
				response.setStatus(jobStatus(response, job, 202));
				response.setHeader("X-Progress", job.progressText(clock.instant()));
				response.setHeader("Retry-After", retryAfterSeconds());
				if (manifestPage.isPresent() && !manifestPage.get().isEmpty()) {
					writeManifest(response, pageManifest(job, manifestPage.get(), request, pageNumber));
				}
			}
			case COMPLETED -> {
				response.setStatus(jobStatus(response, job, 200));
				response.setHeader("Expires",
						DateTimeFormatter.RFC_1123_DATE_TIME.format(job.expiresAt().atOffset(ZoneOffset.UTC)));
				writeManifest(response, manifestPage.isPresent()
						? pageManifest(job, manifestPage.get(), request, pageNumber)
						: ManifestJson.render(visibility(request, job).filter(StoredManifestJson.read(job.manifestJson())),
								baseUrl.of(request), job.id(), null));
			}
			// The stored reason may hold SQL, file paths or host names: it goes to the log, the job id serves
			// as the correlation id.
			case FAILED -> OperationOutcomes.write(request, jobStatus(response, job, 500), "error", "exception",
					FAILED_CODE + "The bulk job failed; the server's log holds the details under correlation id "
							+ job.id());
			default -> throw new IllegalStateException("Invisible job state " + job.state());
		}
	}

	/** A page of a partial manifest: the files first handed out on it, and a link to the next page unless it is the last. */
	private String pageManifest(BulkJob job, BulkJobFiles.Page page, ServletRequestDetails request, int pageNumber) {
		BulkManifest manifest = new BulkManifest(job.transactionTime(), job.requestUrl(), requiresAccessToken,
				page.output(), page.deleted(), page.error(), job.statusOptions().outputOrganizedBy(), deidentification(job));
		String next = page.hasNext() ? statusUrl(baseUrl.of(request), job.id()) + "&page=" + (pageNumber + 1)
				: null;
		return ManifestJson.render(visibility(request, job).filter(manifest), baseUrl.of(request), job.id(), next);
	}

	/** The de-identification of an export, read from the request its job row keeps ({@code deidProfile}, {@code deidKeyId}). */
	private static BulkManifest.Deidentification deidentification(BulkJob job) {
		try {
			JsonNode request = BulkJson.MAPPER.readTree(job.requestJson());
			return request.hasNonNull("deidProfile") ? new BulkManifest.Deidentification(
					request.get("deidProfile").asText(), request.path("deidKeyId").asText(null)) : null;
		} catch (JsonProcessingException | RuntimeException e) {
			return null;
		}
	}

	/** What the current token may see of its job (its scopes may have narrowed since the kick-off). */
	private FileVisibility visibility(ServletRequestDetails request, BulkJob job) {
		return new FileVisibility(authorization.grant(request), job);
	}

	private static void writeManifest(HttpServletResponse response, String manifest) throws IOException {
		response.setContentType("application/json");
		response.setCharacterEncoding("UTF-8");
		try (Writer writer = response.getWriter()) {
			writer.write(manifest);
		}
	}

	/**
	 * The HTTP status of a status response: the job's own, or, when the client asked for
	 * {@code separate-export-status}, 200 for the status request itself with the job's status in
	 * {@code X-Export-Status}.
	 */
	private static int jobStatus(HttpServletResponse response, BulkJob job, int status) {
		if (!job.statusOptions().separateStatus()) {
			return status;
		}
		response.setHeader("X-Export-Status", status + " " + REASONS.get(status));
		return 200;
	}

	/** Whether this poll came sooner than 80% of Retry-After after the last one answered (jitter allowed). */
	private boolean pollsTooFast(String jobId) {
		if (retryAfter.isZero()) {
			// Throttling off. (Concurrent polls of one job can see each other's later instant: never 429 then.)
			return false;
		}
		Instant now = clock.instant();
		Instant last = lastPolls.get(jobId);
		if (last != null && Duration.between(last, now).compareTo(retryAfter.multipliedBy(4).dividedBy(5)) < 0) {
			return true;
		}
		lastPolls.put(jobId, now);
		return false;
	}

	private String retryAfterSeconds() {
		return Long.toString(Math.max(1, retryAfter.toSeconds()));
	}
}
