package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.Constants;
import hapibulk.support.OperationOutcomes;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.Writer;

/** An OperationOutcome answer written on the servlet response, for hooks that run before HAPI parses a request. */
final class PlainOutcomeResponse {

	private PlainOutcomeResponse() {}

	static void write(HttpServletResponse response, FhirContext fhirContext, int status, String code, String message)
			throws IOException {
		response.setStatus(status);
		response.setContentType(Constants.CT_FHIR_JSON_NEW);
		response.setCharacterEncoding("UTF-8");
		try (Writer writer = response.getWriter()) {
			fhirContext.newJsonParser().encodeResourceToWriter(OperationOutcomes.of(fhirContext, "error", code, message),
					writer);
		}
	}
}
