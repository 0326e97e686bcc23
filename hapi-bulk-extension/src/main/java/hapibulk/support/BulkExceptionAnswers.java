package hapibulk.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRestfulResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Writer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Shapes every error of the bulk operations before HAPI renders it: a 4xx as the OperationOutcome it carries, in the content
 * type the client asked for ({@link MediaTypes#outcomeContentType}); our own 503s as they are, with their
 * {@code Retry-After}; anything else (another 5xx, or an
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

	/**
	 * Converts the failure before HAPI renders it, rather than writing the answer in
	 * {@code SERVER_HANDLE_EXCEPTION}: an interceptor that answers there leaves HAPI to log every refused request
	 * at ERROR with its stack trace (HAPI-2544), so operators would see one per 4xx.
	 */
	@Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
	public BaseServerResponseException answer(RequestDetails request, Throwable thrown,
			HttpServletRequest servletRequest, HttpServletResponse response) {
		if (!isBulkRequest(request, servletRequest) || response.isCommitted()) {
			return null;
		}
		// As HAPI maps them: a DataFormatException (an unparseable parameter) is a 400, other failures 500.
		BaseServerResponseException exception = thrown instanceof BaseServerResponseException known ? known
				: thrown instanceof DataFormatException unparseable ? new InvalidRequestException(unparseable)
						: new InternalErrorException(thrown);
		int status = exception.getStatusCode();
		IBaseOperationOutcome outcome;
		if (status >= 500 && !percentDecodable(servletRequest.getQueryString())) {
			// HAPI decodes the query string itself and fails with an internal error on a bad escape (%ZZ).
			status = 400;
			outcome = OperationOutcomes.of(request.getFhirContext(), "error", "invalid", BulkErrors.code(139)
					+ "The query string is not valid percent-encoding (a '%' must start an escape such as %2C)");
		} else if (exception instanceof ServiceUnavailableException) {
			// Our own 503s (database away, executor full, disk short) carry a BULK code and no internals; clients
			// retry on 503 + Retry-After, while a 500 tells them the request itself failed.
			LOG.debug("Bulk request {} {} answered 503: {}", servletRequest.getMethod(), servletRequest.getRequestURI(),
					exception.getMessage());
			status = 503;
			outcome = OperationOutcomes.of(request.getFhirContext(), "error", "transient", exception.getMessage());
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
		BaseServerResponseException answer = BaseServerResponseException.newInstance(status,
				"Bulk request refused with " + status);
		answer.setOperationOutcome(outcome);
		// Headers such as WWW-Authenticate and Retry-After go with the answer.
		exception.getResponseHeaders().forEach((name, values) -> values.forEach(v -> answer.addResponseHeader(name, v)));
		answerInJson(request, servletRequest);
		return answer;
	}

	/**
	 * HAPI renders the outcome in the encoding {@code _format} names, before {@code Accept}: a bulk client's
	 * {@code Accept} names NDJSON or nothing, and its error is JSON whatever else the host would pick (XML, HTML).
	 * HAPI labels FHIR JSON {@code application/fhir+json} always; a client that asked for {@code application/json}
	 * gets that label (some JSON clients parse nothing else).
	 */
	private static void answerInJson(RequestDetails request, HttpServletRequest servletRequest) {
		Map<String, String[]> parameters = request.getParameters() == null ? new HashMap<>()
				: new HashMap<>(request.getParameters());
		parameters.put(Constants.PARAM_FORMAT, new String[] {Constants.CT_FHIR_JSON_NEW});
		request.setParameters(parameters);
		String contentType = MediaTypes.outcomeContentType(servletRequest.getHeader(Constants.HEADER_ACCEPT));
		if (!contentType.equals(Constants.CT_FHIR_JSON_NEW) && request instanceof ServletRequestDetails servlet
				&& servlet.getResponse() instanceof ServletRestfulResponse hapiResponse) {
			ContentTypeLabel relabelled = new ContentTypeLabel(servlet, contentType);
			relabelled.getHeaders().putAll(hapiResponse.getHeaders());
			servlet.setResponse(relabelled);
		}
	}

	/** HAPI's servlet response, writing under another content type. */
	private static final class ContentTypeLabel extends ServletRestfulResponse {
		private final String contentType;

		ContentTypeLabel(ServletRequestDetails request, String contentType) {
			super(request);
			this.contentType = contentType;
		}

		@Override
		public Writer getResponseWriter(int status, String hapiContentType, String charset, boolean gzip)
				throws IOException {
			return super.getResponseWriter(status, contentType, charset, gzip);
		}
	}

	/** HAPI's own 400s (a body it could not parse) carry an outcome that quotes the Java exception too. */
	private static IBaseOperationOutcome withoutJavaExceptions(IBaseOperationOutcome outcome) {
		var terser = FhirContext.forCached(outcome.getStructureFhirVersionEnum()).newTerser();
		for (IBase issue : terser.getValues(outcome, "issue")) {
			for (IPrimitiveType<?> diagnostics : terser.getValues(issue, "diagnostics", IPrimitiveType.class)) {
				if (diagnostics.getValueAsString() != null) {
					diagnostics.setValueAsString(JAVA_EXCEPTION.matcher(diagnostics.getValueAsString()).replaceAll(""));
				}
			}
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
