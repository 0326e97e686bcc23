package hapibulk.audit;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One audited bulk action: who (client id, address), what (action, operation, details such as
 * parameters, types, counts) and the outcome.
 *
 * @param clientId  the client, or null when unknown (authorization off, or authentication failed)
 * @param address   the client's network address, if known
 * @param operation the operation or endpoint ({@code $export}, {@code token}, {@code $bulk-file}, ...)
 * @param success   whether it was done
 * @param details   further facts, in order (job id, types, parameters, counts, refusal reason)
 */
public record AuditRecord(AuditAction action, String clientId, String address, String operation, boolean success,
		Map<String, String> details) {

	public AuditRecord {
		details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
	}

	public static AuditRecord of(AuditAction action, String clientId, RequestDetails request, String operation,
			boolean success, Map<String, String> details) {
		return new AuditRecord(action, clientId, address(request), operation, success, details);
	}

	/** The same record with one more detail (last). */
	public AuditRecord with(String key, String value) {
		Map<String, String> more = new LinkedHashMap<>(details);
		more.put(key, value);
		return new AuditRecord(action, clientId, address, operation, success, more);
	}

	public static String address(RequestDetails request) {
		return request instanceof ServletRequestDetails servlet && servlet.getServletRequest() != null
				? servlet.getServletRequest().getRemoteAddr() : null;
	}
}
