package hapibulk.support;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Renders every error of the bulk operations: a 4xx as the OperationOutcome it carries, in the content
 * type the client asked for ({@link MediaTypes#outcomeContentType}); anything else (a 5xx, or an
 * exception no provider expected) as a 500 with a stable code and a correlation id, never its message,
 * which may hold SQL, file paths or host names. The details go to the log under that id.
 */
@Interceptor
public class BulkExceptionAnswers {

	private static final Logger LOG = LoggerFactory.getLogger(BulkExceptionAnswers.class);

	/** HAPI's parse errors quote the Java exception ({@code java.lang.NumberFormatException: ...}): the class goes. */
	private static final Pattern JAVA_EXCEPTION = Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error):?\\s*");

	private final List<String> operations;

	/** @param operations the names of the operations whose errors this renders ({@code $export}, ...) */
	public BulkExceptionAnswers(List<String> operations) {
		this.operations = List.copyOf(operations);
	}

	@Hook(Pointcut.SERVER_HANDLE_EXCEPTION)
	public boolean handle(RequestDetails request, BaseServerResponseException exception,
			HttpServletRequest servletRequest, HttpServletResponse response) throws IOException {
		if (!isBulkRequest(request, servletRequest) || response.isCommitted()) {
			return true;
		}
		int status = exception.getStatusCode();
		IBaseOperationOutcome outcome;
		if (status >= 500 && !percentDecodable(servletRequest.getQueryString())) {
			// HAPI decodes the query string itself and fails with an internal error on a bad escape (%ZZ).
			status = 400;
			outcome = OperationOutcomes.of(request.getFhirContext(), "error", "invalid", BulkErrors.code(139)
					+ "The query string is not valid percent-encoding (a '%' must start an escape such as %2C)");
		} else if (status >= 400 && status < 500) {
			outcome = exception.getOperationOutcome() != null ? withoutJavaExceptions(exception.getOperationOutcome())
					: OperationOutcomes.of(request.getFhirContext(), "error", issueCode(status),
							JAVA_EXCEPTION.matcher(String.valueOf(exception.getMessage())).replaceAll(""));
		} else {
			String correlationId = UUID.randomUUID().toString();
			LOG.error("Bulk request {} {} failed; correlation id {}", servletRequest.getMethod(),
					servletRequest.getRequestURI(), correlationId, exception.getCause() != null ? exception.getCause()
							: exception);
			status = 500;
			outcome = OperationOutcomes.of(request.getFhirContext(), "error", "exception", BulkErrors.code(127)
					+ "The server could not handle this request; quote correlation id " + correlationId
					+ " to its operator");
		}
		// No reset: headers set before the failure (WWW-Authenticate by an interceptor) stay.
		for (Map.Entry<String, List<String>> header : exception.getResponseHeaders().entrySet()) {
			header.getValue().forEach(value -> response.addHeader(header.getKey(), value));
		}
		OperationOutcomes.write(request, response, status, outcome);
		return false;
	}

	/** HAPI's own 400s (a body it could not parse) carry an outcome that quotes the Java exception too. */
	private static IBaseOperationOutcome withoutJavaExceptions(IBaseOperationOutcome outcome) {
		if (outcome instanceof OperationOutcome r4) {
			r4.getIssue().stream().filter(OperationOutcome.OperationOutcomeIssueComponent::hasDiagnostics)
					.forEach(issue -> issue.setDiagnostics(JAVA_EXCEPTION.matcher(issue.getDiagnostics()).replaceAll("")));
		}
		return outcome;
	}

	private boolean isBulkRequest(RequestDetails request, HttpServletRequest servletRequest) {
		if (request != null && request.getOperation() != null) {
			return operations.contains(request.getOperation());
		}
		// The request failed before HAPI knew its operation (an undecodable URL): look at the path.
		String uri = servletRequest == null ? null : servletRequest.getRequestURI();
		return uri != null && operations.stream().anyMatch(uri::contains);
	}

	private static boolean percentDecodable(String query) {
		if (query == null) {
			return true;
		}
		try {
			URLDecoder.decode(query, StandardCharsets.UTF_8);
			return true;
		} catch (IllegalArgumentException e) {
			return false;
		}
	}

	private static String issueCode(int status) {
		return switch (status) {
			case 401 -> "login";
			case 403 -> "forbidden";
			case 404 -> "not-found";
			case 429 -> "throttled";
			default -> "invalid";
		};
	}
}
