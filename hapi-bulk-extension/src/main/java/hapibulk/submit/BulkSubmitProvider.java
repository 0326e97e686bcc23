package hapibulk.submit;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.JobOwner;
import hapibulk.support.BulkErrors;
import hapibulk.tenant.Tenants;
import hapibulk.support.OperationOutcomes;
import hapibulk.support.ServerBaseUrl;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.Writer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code POST [base]/$bulk-submit} and {@code [base]/$bulk-submit-status} (Bulk Data STU4 ballot). A submission
 * answers 200 once its manifest is read and its import started; the status kick-off (POST with the submitter and
 * the submissionId) answers 202 with a {@code Content-Location} that is polled by GET: 202 while loading, 200 with
 * the manifest when the submission is completed and loaded, 500 when an import of it failed. Both need
 * {@code system/bulk-submit} when authorization is on.
 */
public class BulkSubmitProvider {

	public static final String SUBMIT = "$bulk-submit";
	public static final String STATUS = "$bulk-submit-status";
	public static final String SUBMIT_CANONICAL = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/bulk-submit";
	public static final String STATUS_CANONICAL = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/bulk-submit-status";

	private final SubmitRequestParser parser;
	private final BulkSubmitService service;
	private final SubmissionStatus status;
	private final BulkAuthorization authorization;
	private final BulkAudit audit;
	private final ServerBaseUrl baseUrl;
	private final Duration retryAfter;
	private final Tenants tenants;

	/** @param tenants on a partitioned host, submissions are refused (not built for tenants yet: docs/tenants.md) */
	BulkSubmitProvider(SubmitRequestParser parser, BulkSubmitService service, SubmissionStatus status,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Duration retryAfter,
			Tenants tenants) {
		this.tenants = tenants;
		this.parser = parser;
		this.service = service;
		this.status = status;
		this.authorization = authorization;
		this.audit = audit;
		this.baseUrl = baseUrl;
		this.retryAfter = retryAfter;
	}

	@Operation(name = SUBMIT, manualRequest = true, manualResponse = true, canonicalUrl = SUBMIT_CANONICAL)
	public void submit(ServletRequestDetails request) throws IOException {
		AccessGrant grant = submitGrant(request);
		BulkSubmitService.Outcome outcome;
		SubmitRequest submission = null;
		try {
			submission = parser.parseSubmit(request.loadRequestContents(), request.getHeader("Content-Type"));
			outcome = service.submit(submission, grant, JobOwner.of(grant), baseUrl.requestUrl(request));
		} catch (BaseServerResponseException e) {
			Map<String, String> details = new LinkedHashMap<>(Map.of("status", Integer.toString(e.getStatusCode()),
					"reason", String.valueOf(e.getMessage())));
			if (submission != null) {
				details.put("submitter", submission.submitterKey());
				details.put("submissionId", submission.submissionId());
			}
			audit.record(AuditRecord.of(AuditAction.IMPORT_STARTED, grant.clientId(), request, SUBMIT, false, details));
			throw e;
		}
		Map<String, String> details = new LinkedHashMap<>(Map.of("submitter", submission.submitterKey(),
				"submissionId", submission.submissionId()));
		if (submission.manifestUrl() != null) {
			details.put("manifestUrl", submission.manifestUrl());
		}
		if (outcome.jobId() != null) {
			details.put("job", outcome.jobId());
		}
		audit.record(AuditRecord.of(AuditAction.IMPORT_STARTED, grant.clientId(), request, SUBMIT, true, details));
		OperationOutcomes.write(request, 200, "information", "informational", outcome.message());
	}

	@Operation(name = STATUS, manualRequest = true, manualResponse = true, idempotent = true,
			canonicalUrl = STATUS_CANONICAL)
	public void status(ServletRequestDetails request) throws IOException {
		AccessGrant grant = submitGrant(request);
		String base = baseUrl.of(request);
		if ("POST".equals(request.getServletRequest().getMethod())) {
			SubmitRequest asked = parser.parseStatus(request.loadRequestContents(), request.getHeader("Content-Type"));
			String pollUrl = pollUrl(base, asked.submitterKey(), asked.submissionId());
			status.view(asked.submitterKey(), asked.submissionId(), JobOwner.of(grant), base, pollUrl);
			request.getServletResponse().setHeader("Content-Location", pollUrl);
			OperationOutcomes.write(request, 202, "information", "informational", "Poll the Content-Location for the"
					+ " status of submission " + asked.submissionId());
			return;
		}
		String submitter = single(request, "submitter");
		String submissionId = single(request, "submissionId");
		String pollUrl = pollUrl(base, submitter, submissionId);
		SubmissionStatus.View view = status.view(submitter, submissionId, JobOwner.of(grant), base, pollUrl);
		HttpServletResponse response = request.getServletResponse();
		if (view.failure() != null) {
			OperationOutcomes.write(request, 500, "error", "exception", BulkErrors.code(948) + view.failure());
		} else if (view.progress() != null) {
			response.setHeader("X-Progress", view.progress());
			response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
			OperationOutcomes.write(request, 202, "information", "informational", view.progress());
		} else {
			response.setStatus(200);
			response.setContentType("application/json");
			response.setCharacterEncoding("UTF-8");
			try (Writer writer = response.getWriter()) {
				writer.write(view.manifest());
			}
		}
	}

	/** The caller's grant, if it may submit: {@code system/bulk-submit} when authorization is on. */
	private AccessGrant submitGrant(ServletRequestDetails request) {
		if (tenants.enabled()) {
			// Submissions and their loads carry no tenant yet: refused rather than written outside the request's partition.
			throw new InvalidRequestException(BulkErrors.code(804) + SUBMIT + " and " + STATUS + " are not served on a"
					+ " partitioned server yet; load the provider's files with $import under the tenant instead");
		}
		AccessGrant grant = authorization.grant(request);
		if (!grant.unrestricted() && (grant.scopes() == null || !grant.scopes().submit())) {
			throw BulkAuthorization.forbidden(945, SUBMIT + " and " + STATUS + " need the system/bulk-submit scope");
		}
		return grant;
	}

	static String pollUrl(String base, String submitterKey, String submissionId) {
		return base + "/" + STATUS + "?submitter=" + URLEncoder.encode(submitterKey, StandardCharsets.UTF_8)
				+ "&submissionId=" + URLEncoder.encode(submissionId, StandardCharsets.UTF_8);
	}

	private static String single(ServletRequestDetails request, String name) {
		String[] values = request.getParameters().get(name);
		if (values == null || values.length != 1 || values[0].isBlank()) {
			throw SubmitRequestParser.missingIdentity("Poll with one " + name
					+ " (or POST the submitter and submissionId as Parameters)");
		}
		return values[0];
	}
}
