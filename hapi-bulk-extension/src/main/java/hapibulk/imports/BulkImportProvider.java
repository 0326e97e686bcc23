package hapibulk.imports;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkStatusProvider;
import hapibulk.support.BulkErrors;
import hapibulk.support.OperationOutcomes;

import java.io.IOException;
import java.util.Locale;

/**
 * {@code POST [base]/$import}: reads the body itself ({@code manualRequest}), because besides a
 * {@code Parameters} resource it accepts the plain JSON of the SMART proposal, which HAPI would
 * refuse to parse as a resource. Answers 202 with the shared status URL.
 */
public class BulkImportProvider {

	public static final String OPERATION = "$import";

	private final ImportRequestParser parser;
	private final ImportJobService importJobService;

	public BulkImportProvider(ImportRequestParser parser, ImportJobService importJobService) {
		this.parser = parser;
		this.importJobService = importJobService;
	}

	@Operation(name = OPERATION, manualRequest = true, manualResponse = true)
	public void kickOff(ServletRequestDetails request) throws IOException {
		String prefer = String.join(",", request.getHeaders("Prefer")).toLowerCase(Locale.ROOT);
		if (!prefer.contains("respond-async")) {
			throw new InvalidRequestException(BulkErrors.code(210)
					+ "Bulk import is asynchronous: send the header 'Prefer: respond-async'");
		}
		ImportRequest importRequest = parser.parse(request.loadRequestContents(), request.getHeader("Content-Type"),
				request.getCompleteUrl());
		BulkJob job = importJobService.submit(importRequest);
		request.getServletResponse().setHeader("Content-Location",
				BulkStatusProvider.statusUrl(request.getFhirServerBase(), job.id()));
		OperationOutcomes.write(request, 202, "information", "informational", "Bulk import accepted");
	}
}
