package hapibulk.export;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkStatusProvider;
import hapibulk.support.OperationOutcomes;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.io.IOException;
import java.util.Date;
import java.util.List;

/** The {@code $export} kick-off operations. Thin: parse, submit, answer 202. */
public class BulkExportProvider {

	public static final String SYSTEM_EXPORT_CANONICAL = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export";

	private final ExportRequestParser parser;
	private final ExportJobService exportJobService;

	public BulkExportProvider(ExportRequestParser parser, ExportJobService exportJobService) {
		this.parser = parser;
		this.exportJobService = exportJobService;
	}

	@Operation(name = "$export", manualResponse = true, idempotent = true, canonicalUrl = SYSTEM_EXPORT_CANONICAL)
	public void systemExport(
			@OperationParam(name = "_outputFormat", typeName = "string", min = 0, max = 1) IPrimitiveType<String> outputFormat,
			@OperationParam(name = "_type", typeName = "string", min = 0, max = OperationParam.MAX_UNLIMITED) List<IPrimitiveType<String>> types,
			@OperationParam(name = "_since", typeName = "instant", min = 0, max = 1) IPrimitiveType<Date> since,
			ServletRequestDetails request) throws IOException {
		ExportRequest exportRequest = parser.parse(ExportLevel.SYSTEM, request, outputFormat, types, since);
		BulkJob job = exportJobService.submit(exportRequest);
		request.getServletResponse().setHeader("Content-Location",
				BulkStatusProvider.statusUrl(request.getFhirServerBase(), job.id()));
		OperationOutcomes.write(request, 202, "information", "informational", "Bulk export accepted");
	}
}
