package hapibulk.imports;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkJob;
import hapibulk.status.BulkStatusProvider;
import hapibulk.support.BulkErrors;
import hapibulk.tenant.Tenants;
import hapibulk.support.OperationOutcomes;
import hapibulk.support.PreferHeader;
import hapibulk.support.ServerBaseUrl;

import java.io.IOException;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code POST [base]/$import}: reads the body itself ({@code manualRequest}), because besides a
 * {@code Parameters} resource it accepts the plain JSON of the SMART proposal, which HAPI would
 * refuse to parse as a resource. Answers 202 with the shared status URL.
 */
public class BulkImportProvider {

	public static final String OPERATION = "$import";

	private final ImportRequestParser parser;
	private final Tenants tenants;
	private final ImportJobService importJobService;
	private final BulkAuthorization authorization;
	private final BulkAudit audit;
	private final ServerBaseUrl baseUrl;

	public BulkImportProvider(ImportRequestParser parser, ImportJobService importJobService,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl) {
		this(parser, importJobService, authorization, audit, baseUrl, Tenants.none());
	}

	/** @param tenants the partition HAPI chooses for a create in the kick-off: the job's tenant */
	public BulkImportProvider(ImportRequestParser parser, ImportJobService importJobService,
			BulkAuthorization authorization, BulkAudit audit, ServerBaseUrl baseUrl, Tenants tenants) {
		this.tenants = tenants;
		this.parser = parser;
		this.importJobService = importJobService;
		this.authorization = authorization;
		this.audit = audit;
		this.baseUrl = baseUrl;
	}

	@Operation(name = OPERATION, manualRequest = true, manualResponse = true)
	public void kickOff(ServletRequestDetails request) throws IOException {
		if (!PreferHeader.of(request.getHeaders("Prefer")).respondAsync()) {
			throw new InvalidRequestException(BulkErrors.code(210)
					+ "Bulk import is asynchronous: send the header 'Prefer: respond-async'");
		}
		String client = authorization.owner(request);
		BulkJob job;
		ImportRequest importRequest;
		try {
			importRequest = parser.parse(request.loadRequestContents(), request.getHeader("Content-Type"),
					baseUrl.requestUrl(request));
			// Each input type needs a create or an update scope of its own; which lines may be stored is
			// decided line by line, by the job, with what is granted here (ImportPermissions).
			importRequest = importRequest.withPermissions(ImportPermissions.of(authorization.grant(request),
					importRequest.inputs().stream().map(ImportRequest.Input::type).distinct().toList()))
					.withTenant(tenants.forImport(request, importRequest.inputs().stream().map(ImportRequest.Input::type)
							.distinct().toList()));
			job = importJobService.submitAs(importRequest, authorization.jobOwner(request));
		} catch (BaseServerResponseException e) {
			audit.record(AuditRecord.of(AuditAction.IMPORT_STARTED, client, request, OPERATION, false,
					Map.of("url", request.getCompleteUrl(), "status", Integer.toString(e.getStatusCode()),
							"reason", String.valueOf(e.getMessage()))));
			throw e;
		}
		audit.record(AuditRecord.of(AuditAction.IMPORT_STARTED, client, request, OPERATION, true,
				Map.of("job", job.id(), "inputs", Integer.toString(importRequest.inputs().size()),
						"types", importRequest.inputs().stream().map(ImportRequest.Input::type).distinct()
								.collect(Collectors.joining(",")))));
		request.getServletResponse().setHeader("Content-Location",
				BulkStatusProvider.statusUrl(baseUrl.of(request), job.id()));
		OperationOutcomes.write(request, 202, "information", "informational", "Bulk import accepted");
	}
}
