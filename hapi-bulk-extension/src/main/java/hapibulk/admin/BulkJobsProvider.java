package hapibulk.admin;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.audit.CoalescedAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.ScopeSet;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobProgress.TypeProgress;
import hapibulk.job.BulkJobTable;
import hapibulk.storage.BulkFileStore;
import hapibulk.support.BulkErrors;
import hapibulk.tenant.Tenant;
import hapibulk.tenant.Tenants;
import hapibulk.support.ServerBaseUrl;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.Writer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The administrators' view of every bulk job: {@code GET [base]/$bulk-jobs} lists them (newest first,
 * filtered by state and kind, paged), {@code GET [base]/$bulk-jobs?job=ID} shows one with its Spring Batch
 * steps. Allowed to anyone in auth mode none, else only to a token with {@value ScopeSet#ADMIN_SCOPE}.
 * Reads our job table (and, for one job, Spring Batch's step executions); changes nothing. Every read is
 * audited: a job's detail each time, the list coalesced per client ({@code hapi.bulk.audit.job-list-interval}).
 */
public class BulkJobsProvider {

	public static final String OPERATION = "$bulk-jobs";
	static final String READS_NOT_STORED = "reads-not-stored";

	private final BulkJobTable table;
	private final BulkBatchEngine engine;
	private final BulkFileStore fileStore;
	private final BulkAuthorization authorization;
	private final BulkAudit audit;
	private final ServerBaseUrl baseUrl;
	private final Duration retryAfter;
	private final Clock clock;
	private final CoalescedAudit listReads;
	private final Tenants tenants;

	/** @param listInterval one stored AuditEvent of list reads per client in this time ({@link CoalescedAudit}) */
	public BulkJobsProvider(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Duration retryAfter,
			Duration listInterval, Clock clock) {
		this(table, engine, fileStore, authorization, audit, baseUrl, retryAfter, listInterval, clock, Tenants.none());
	}

	/** @param tenants which tenant a request is in: an administrator sees the jobs of its own tenant only */
	public BulkJobsProvider(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Duration retryAfter,
			Duration listInterval, Clock clock, Tenants tenants) {
		this.tenants = tenants;
		this.table = table;
		this.engine = engine;
		this.fileStore = fileStore;
		this.authorization = authorization;
		this.audit = audit;
		this.baseUrl = baseUrl;
		this.retryAfter = retryAfter;
		this.clock = clock;
		this.listReads = new CoalescedAudit(audit, listInterval, clock, READS_NOT_STORED);
	}

	@Operation(name = OPERATION, manualResponse = true, idempotent = true)
	public void jobs(ServletRequestDetails request) throws IOException {
		if (!authorization.isAdmin(request)) {
			audit.record(AuditRecord.of(AuditAction.ACCESS_REFUSED, authorization.owner(request), request, OPERATION,
					false, Map.of("reason", "no " + ScopeSet.ADMIN_SCOPE + " scope")));
			throw BulkAuthorization.forbidden(625, "$bulk-jobs needs the " + ScopeSet.ADMIN_SCOPE + " scope");
		}
		JobListQuery query = JobListQuery.parse(request.getParameters());
		String serverBase = baseUrl.of(request);
		Instant now = clock.instant();
		ObjectNode body;
		boolean active;
		if (query.job() != null) {
			Tenant tenant = tenants.ofRequest(request, OPERATION);
			BulkJobTable.Listed listed = table.findListed(query.job())
					.filter(found -> tenants.mayAccess(tenant, found.job().tenant())).orElseThrow(() -> new ResourceNotFoundException(
					BulkErrors.code(626) + "No bulk job with this id"));
			body = AdminJobJson.detail(AdminJobJson.job(listed, table.typeProgress().find(listed.job().id()),
							bytesHeld(listed), serverBase, now), listed.job(),
					listed.job().executionId() == null ? List.of() : engine.steps(listed.job().executionId()));
			active = listed.job().state().isActive();
			audit.record(AuditRecord.of(AuditAction.ADMIN_JOB_VIEWED, authorization.owner(request), request, OPERATION,
					true, Map.of("job", listed.job().id(), "owner", String.valueOf(listed.job().owner()))));
		} else {
			List<BulkJobTable.Listed> rows = list(query, tenants.ofRequest(request, OPERATION));
			boolean more = rows.size() > query.count();
			List<BulkJobTable.Listed> page = more ? rows.subList(0, query.count()) : rows;
			Map<String, List<TypeProgress>> types = table.typeProgress()
					.findAll(page.stream().map(listed -> listed.job().id()).collect(Collectors.toList()));
			body = AdminJobJson.MAPPER.createObjectNode();
			body.put("page", query.page());
			body.put("count", query.count());
			ArrayNode jobs = body.putArray("jobs");
			page.forEach(listed -> jobs.add(AdminJobJson.job(listed, types.getOrDefault(listed.job().id(), List.of()),
					bytesHeld(listed), serverBase, now)));
			if (more) {
				body.put("next", nextPage(serverBase, query));
			}
			active = page.stream().anyMatch(listed -> listed.job().state().isActive());
			// The page polls every few seconds: every read is in the log, one per client and interval is stored.
			String reader = authorization.owner(request);
			listReads.record(String.valueOf(reader), AuditRecord.of(AuditAction.ADMIN_JOBS_LISTED, reader, request,
					OPERATION, true, Map.of("query", query.describe(), "jobs", Integer.toString(page.size()))));
		}
		HttpServletResponse response = request.getServletResponse();
		response.setStatus(200);
		if (active) {
			// How often a page that watches running jobs should ask again.
			response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
		}
		response.setHeader("Cache-Control", "no-store");
		response.setContentType("application/json");
		response.setCharacterEncoding("UTF-8");
		try (Writer writer = response.getWriter()) {
			writer.write(body.toString());
		}
	}

	/**
	 * The page's rows and one more if there is a next page. With tenants, the page of the request's tenant: the
	 * table is walked newest first and other tenants' rows skipped (the tenant is in the request record, not a
	 * column; an administrators' page, so a walk over the job table is affordable).
	 */
	private List<BulkJobTable.Listed> list(JobListQuery query, Tenant tenant) {
		if (!tenants.enabled() || (tenant != null && tenant.allPartitions())) {
			return table.list(query.states(), query.kind(), query.offset(), query.count());
		}
		List<BulkJobTable.Listed> matching = new java.util.ArrayList<>();
		int skip = query.offset();
		int batch = 500;
		for (int offset = 0; matching.size() <= query.count(); offset += batch) {
			List<BulkJobTable.Listed> rows = table.list(query.states(), query.kind(), offset, batch - 1);
			for (BulkJobTable.Listed row : rows) {
				if (tenants.mayAccess(tenant, row.job().tenant()) && skip-- <= 0 && matching.size() <= query.count()) {
					matching.add(row);
				}
			}
			if (rows.size() < batch) {
				break;
			}
		}
		return matching;
	}

	private Long bytesHeld(BulkJobTable.Listed listed) {
		if (!listed.job().state().isVisible()) {
			return 0L;
		}
		try {
			return fileStore.bytesHeld(listed.job().folder());
		} catch (IOException e) {
			return null;
		}
	}

	private static String nextPage(String serverBase, JobListQuery query) {
		StringBuilder url = new StringBuilder(serverBase + "/" + OPERATION + "?_count=" + query.count());
		if (!query.states().isEmpty()) {
			url.append("&state=").append(query.states().stream().map(state -> state.name().toLowerCase(Locale.ROOT))
					.collect(Collectors.joining(",")));
		}
		if (query.kind() != null) {
			url.append("&kind=").append(query.kind().name().toLowerCase(Locale.ROOT));
		}
		return url.append("&page=").append(query.page() + 1).toString();
	}
}
