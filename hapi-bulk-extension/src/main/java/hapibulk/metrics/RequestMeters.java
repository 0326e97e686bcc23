package hapibulk.metrics;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;

import java.util.Locale;
import java.util.Map;

/**
 * Counts kick-offs answered 202 (accepted) or 429 (refused), and status polls answered 429, from the
 * status each answer went out with: the one place that sees every refusal, whether a feature threw it
 * or wrote it itself. Registered on the RestfulServer only when the host has a meter registry.
 */
@Interceptor
public final class RequestMeters {

	private final BulkMetrics metrics;
	private final Map<String, String> kickOffKinds;
	private final String statusOperation;

	/**
	 * @param kickOffKinds    kick-off operation ({@code $export}) to the job kind it starts ({@code export})
	 * @param statusOperation the status operation ({@code $bulk-status})
	 */
	public RequestMeters(BulkMetrics metrics, Map<String, String> kickOffKinds, String statusOperation) {
		this.metrics = metrics;
		this.kickOffKinds = Map.copyOf(kickOffKinds);
		this.statusOperation = statusOperation;
	}

	/** After every request, answered normally, by an exception, or by an interceptor. */
	@Hook(Pointcut.SERVER_PROCESSING_COMPLETED)
	public void completed(RequestDetails request, ServletRequestDetails servletRequest) {
		String operation = request.getOperation();
		if (operation == null || servletRequest == null || servletRequest.getServletResponse() == null) {
			return;
		}
		int status = servletRequest.getServletResponse().getStatus();
		String kind = kickOffKinds.get(operation);
		if (kind != null && (status == 202 || status == 429)) {
			metrics.kickOff(kind, level(request.getResourceName()), status == 202 ? "accepted" : "refused");
		} else if (status == 429 && operation.equals(statusOperation)) {
			metrics.statusThrottled();
		}
	}

	/** {@code [base]/$export} is system-level, {@code [base]/Patient/...} patient, {@code [base]/Group/[id]/...} group. */
	static String level(String resourceName) {
		return resourceName == null || resourceName.isEmpty() ? "system" : resourceName.toLowerCase(Locale.ROOT);
	}
}
