package hapibulk.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.server.RequestDetails;
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
		write(request, request.getServletResponse(), status,
				of(request.getFhirContext(), severity, code, message));
	}

	/** In {@code application/json} when the client asked for plain JSON (see {@link MediaTypes}), else FHIR JSON. */
	public static void write(RequestDetails request, HttpServletResponse response, int status,
			IBaseOperationOutcome outcome) throws IOException {
		FhirContext fhirContext = request.getFhirContext();
		response.setStatus(status);
		response.setContentType(MediaTypes.outcomeContentType(request.getHeader("Accept")));
		response.setCharacterEncoding("UTF-8");
		try (Writer writer = response.getWriter()) {
			fhirContext.newJsonParser().setPrettyPrint(true).encodeResourceToWriter(outcome, writer);
		}
	}
}
