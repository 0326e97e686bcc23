package hapibulk.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.util.OperationOutcomeUtil;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;

import java.io.IOException;
import java.io.Writer;

/** Writes OperationOutcome bodies on the operations that answer by hand ({@code manualResponse}). */
public final class OperationOutcomes {

	private OperationOutcomes() {}

	public static IBaseOperationOutcome of(FhirContext fhirContext, String severity, String code, String message) {
		IBaseOperationOutcome outcome = OperationOutcomeUtil.newInstance(fhirContext);
		OperationOutcomeUtil.addIssue(fhirContext, outcome, severity, message, null, code);
		return outcome;
	}

	public static void write(ServletRequestDetails request, int status, String severity, String code, String message)
			throws IOException {
		FhirContext fhirContext = request.getFhirContext();
		HttpServletResponse response = request.getServletResponse();
		response.setStatus(status);
		response.setContentType(Constants.CT_FHIR_JSON_NEW);
		response.setCharacterEncoding("UTF-8");
		try (Writer writer = response.getWriter()) {
			fhirContext.newJsonParser().setPrettyPrint(true)
					.encodeResourceToWriter(of(fhirContext, severity, code, message), writer);
		}
	}
}
