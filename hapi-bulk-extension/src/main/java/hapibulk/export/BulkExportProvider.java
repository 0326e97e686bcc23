package hapibulk.export;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.JobOwner;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkJob;
import hapibulk.status.BulkStatusProvider;
import hapibulk.tenant.Tenants;
import hapibulk.support.OperationOutcomes;
import hapibulk.support.PreferHeader;
import hapibulk.support.ServerBaseUrl;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.io.IOException;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static hapibulk.export.ExportParameterNames.*;

/**
 * The {@code $export} kick-offs at system, Patient (all or one) and Group level. Thin: HAPI binds
 * the parameters (query string or {@code Parameters} body), the parser validates them, the
 * service submits the job, and the answer is 202 with the status URL.
 * <p>
 * The parameter list is written once per HAPI binding, three times: HAPI 8.8 binds an operation from
 * one method's annotations, and the three levels differ in {@code typeName}, in whether an id is taken
 * and in the IG definition the CapabilityStatement names ({@code canonicalUrl}), all annotation values.
 * Nothing in HAPI 8.8 names them once: {@code @Operation} is not repeatable and takes one type;
 * {@code global = true} binds the operation on every resource type; a parameter object (the
 * {@code @EmbeddableOperationParams} of newer HAPI sources) is not in 8.8.0's hapi-fhir-base; and reading the
 * parameters from the request alone would give up HAPI's typed binding (instants, references, and its
 * answers to malformed ones) and the parameters of the OperationDefinitions HAPI generates from these
 * annotations. So the names come from {@link ExportParameterNames}, and {@code BulkExportProviderTest}
 * holds the three lists equal to each other and to its {@code ALL} and {@code SINGLE_VALUED}.
 */
public class BulkExportProvider {

	private static final int UNLIMITED = OperationParam.MAX_UNLIMITED;

	private static final String OPERATION_DEFINITIONS = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/";
	public static final String SYSTEM_EXPORT_CANONICAL = OPERATION_DEFINITIONS + "export";
	public static final String PATIENT_EXPORT_CANONICAL = OPERATION_DEFINITIONS + "patient-export";
	public static final String GROUP_EXPORT_CANONICAL = OPERATION_DEFINITIONS + "group-export";

	private final ExportRequestParser parser;
	private final ExportJobService exportJobService;
	private final BulkAuthorization authorization;
	private final ExportAccess access;
	private final BulkAudit audit;
	private final ServerBaseUrl baseUrl;
	private final ExportDeidentification deidentification;
	private final Tenants tenants;

	public BulkExportProvider(ExportRequestParser parser, ExportJobService exportJobService,
			BulkAuthorization authorization, ExportAccess access, BulkAudit audit, ServerBaseUrl baseUrl,
			ExportDeidentification deidentification) {
		this(parser, exportJobService, authorization, access, audit, baseUrl, deidentification, Tenants.none());
	}

	/** @param tenants which partition(s) HAPI lets a kick-off read: the job's tenant */
	public BulkExportProvider(ExportRequestParser parser, ExportJobService exportJobService,
			BulkAuthorization authorization, ExportAccess access, BulkAudit audit, ServerBaseUrl baseUrl,
			ExportDeidentification deidentification, Tenants tenants) {
		this.tenants = tenants;
		this.deidentification = deidentification;
		this.baseUrl = baseUrl;
		this.parser = parser;
		this.exportJobService = exportJobService;
		this.authorization = authorization;
		this.access = access;
		this.audit = audit;
	}

	@Operation(name = "$export", manualResponse = true, idempotent = true, canonicalUrl = SYSTEM_EXPORT_CANONICAL)
	public void systemExport(
			@OperationParam(name = OUTPUT_FORMAT, typeName = "string", max = 1) IPrimitiveType<String> outputFormat,
			@OperationParam(name = TYPE, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> types,
			@OperationParam(name = SINCE, typeName = "instant", max = 1) IPrimitiveType<Date> since,
			@OperationParam(name = UNTIL, typeName = "instant", max = 1) IPrimitiveType<Date> until,
			@OperationParam(name = PATIENT, typeName = "Reference", max = UNLIMITED) List<IBaseReference> patients,
			@OperationParam(name = ELEMENTS, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> elements,
			@OperationParam(name = TYPE_FILTER, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> typeFilters,
			@OperationParam(name = INCLUDE_ASSOCIATED_DATA, typeName = "code", max = UNLIMITED) List<IPrimitiveType<String>> associatedData,
			@OperationParam(name = ORGANIZE_OUTPUT_BY, typeName = "string", max = 1) IPrimitiveType<String> organizeOutputBy,
			@OperationParam(name = ALLOW_PARTIAL_MANIFESTS, typeName = "boolean", max = 1) IPrimitiveType<Boolean> allowPartialManifests,
			@OperationParam(name = ANONYMIZATION_CONFIG, typeName = "string", max = 1) IPrimitiveType<String> anonymizationConfig,
			ServletRequestDetails request) throws IOException {
		kickOff(ExportLevel.SYSTEM, null, null, new ExportParameters(outputFormat, types, since, until, patients, elements, typeFilters,
				associatedData, organizeOutputBy, allowPartialManifests, anonymizationConfig), request);
	}

	/** {@code Patient/$export} and {@code Patient/[id]/$export}: the id is optional, so one binding serves both. */
	@Operation(name = "$export", typeName = "Patient", manualResponse = true, idempotent = true,
			canonicalUrl = PATIENT_EXPORT_CANONICAL)
	public void patientExport(
			@IdParam(optional = true) IIdType patientId,
			@OperationParam(name = OUTPUT_FORMAT, typeName = "string", max = 1) IPrimitiveType<String> outputFormat,
			@OperationParam(name = TYPE, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> types,
			@OperationParam(name = SINCE, typeName = "instant", max = 1) IPrimitiveType<Date> since,
			@OperationParam(name = UNTIL, typeName = "instant", max = 1) IPrimitiveType<Date> until,
			@OperationParam(name = PATIENT, typeName = "Reference", max = UNLIMITED) List<IBaseReference> patients,
			@OperationParam(name = ELEMENTS, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> elements,
			@OperationParam(name = TYPE_FILTER, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> typeFilters,
			@OperationParam(name = INCLUDE_ASSOCIATED_DATA, typeName = "code", max = UNLIMITED) List<IPrimitiveType<String>> associatedData,
			@OperationParam(name = ORGANIZE_OUTPUT_BY, typeName = "string", max = 1) IPrimitiveType<String> organizeOutputBy,
			@OperationParam(name = ALLOW_PARTIAL_MANIFESTS, typeName = "boolean", max = 1) IPrimitiveType<Boolean> allowPartialManifests,
			@OperationParam(name = ANONYMIZATION_CONFIG, typeName = "string", max = 1) IPrimitiveType<String> anonymizationConfig,
			ServletRequestDetails request) throws IOException {
		kickOff(ExportLevel.PATIENT, null, patientId == null || !patientId.hasIdPart() ? null : patientId,
				new ExportParameters(outputFormat, types, since, until, patients, elements, typeFilters, associatedData,
						organizeOutputBy, allowPartialManifests, anonymizationConfig), request);
	}

	@Operation(name = "$export", typeName = "Group", manualResponse = true, idempotent = true,
			canonicalUrl = GROUP_EXPORT_CANONICAL)
	public void groupExport(
			@IdParam IIdType groupId,
			@OperationParam(name = OUTPUT_FORMAT, typeName = "string", max = 1) IPrimitiveType<String> outputFormat,
			@OperationParam(name = TYPE, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> types,
			@OperationParam(name = SINCE, typeName = "instant", max = 1) IPrimitiveType<Date> since,
			@OperationParam(name = UNTIL, typeName = "instant", max = 1) IPrimitiveType<Date> until,
			@OperationParam(name = PATIENT, typeName = "Reference", max = UNLIMITED) List<IBaseReference> patients,
			@OperationParam(name = ELEMENTS, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> elements,
			@OperationParam(name = TYPE_FILTER, typeName = "string", max = UNLIMITED) List<IPrimitiveType<String>> typeFilters,
			@OperationParam(name = INCLUDE_ASSOCIATED_DATA, typeName = "code", max = UNLIMITED) List<IPrimitiveType<String>> associatedData,
			@OperationParam(name = ORGANIZE_OUTPUT_BY, typeName = "string", max = 1) IPrimitiveType<String> organizeOutputBy,
			@OperationParam(name = ALLOW_PARTIAL_MANIFESTS, typeName = "boolean", max = 1) IPrimitiveType<Boolean> allowPartialManifests,
			@OperationParam(name = ANONYMIZATION_CONFIG, typeName = "string", max = 1) IPrimitiveType<String> anonymizationConfig,
			ServletRequestDetails request) throws IOException {
		kickOff(ExportLevel.GROUP, groupId, null, new ExportParameters(outputFormat, types, since, until, patients, elements, typeFilters,
				associatedData, organizeOutputBy, allowPartialManifests, anonymizationConfig), request);
	}

	private void kickOff(ExportLevel level, IIdType groupId, IIdType patientId, ExportParameters parameters,
			ServletRequestDetails request) throws IOException {
		AccessGrant grant = authorization.grant(request);
		BulkJob job;
		ExportRequest exportRequest;
		try {
			// The tenant first: the Group and patients are looked up in its partitions.
			exportRequest = deidentification.apply(access.limit(parser.parse(level, groupId, patientId, parameters, request),
					grant), grant).withTenant(tenants.forExport(request, level == ExportLevel.SYSTEM ? null
							: level == ExportLevel.GROUP ? "Group" : "Patient"));
			if (patientId == null && PreferHeader.of(request.getHeaders("Prefer")).lenient()) {
				exportRequest = exportJobService.withoutUnusablePatients(exportRequest);
			}
			job = exportJobService.submitAs(exportRequest, patientId != null, JobOwner.of(grant));
		} catch (BaseServerResponseException e) {
			audit.record(AuditRecord.of(AuditAction.EXPORT_KICKOFF, grant.clientId(), request, "$export", false,
					Map.of("url", request.getCompleteUrl(), "status", Integer.toString(e.getStatusCode()),
							"reason", String.valueOf(e.getMessage()))));
			throw e;
		}
		Map<String, String> details = new LinkedHashMap<>(Map.of("url", request.getCompleteUrl(), "job", job.id(),
				"level", level.name(), "types", exportRequest.types().isEmpty() ? "*" : String.join(",", exportRequest.types())));
		if (exportRequest.deidentified()) {
			// Which profile and keys the delivery was made with: what an auditor needs to judge it.
			details.put("deidProfile", exportRequest.deidProfile());
			details.put("deidKeyId", exportRequest.deidKeyId());
		}
		audit.record(AuditRecord.of(AuditAction.EXPORT_KICKOFF, grant.clientId(), request, "$export", true, details));
		request.getServletResponse().setHeader("Content-Location",
				BulkStatusProvider.statusUrl(baseUrl.of(request), job.id()));
		if (exportRequest.separateStatus()) {
			request.getServletResponse().setHeader("Preference-Applied", "respond-async, separate-export-status");
		}
		OperationOutcomes.write(request, 202, "information", "informational", "Bulk export accepted");
	}
}
