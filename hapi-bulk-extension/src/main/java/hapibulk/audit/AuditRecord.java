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

	/**
	 * Key of the request's user data under which the tenant's name is kept once HAPI identified the request's
	 * partition (the tenant package puts it there); every record of the request then names it.
	 */
	public static final String TENANT = "hapibulk.tenant";

	/** A record of this request: with its tenant as the detail {@code tenant} (last) on a partitioned host. */
	public static AuditRecord of(AuditAction action, String clientId, RequestDetails request, String operation,
			boolean success, Map<String, String> details) {
		AuditRecord record = new AuditRecord(action, clientId, address(request), operation, success, details);
		String tenant = tenant(request);
		return tenant == null || details.containsKey("tenant") ? record : record.with("tenant", tenant);
	}

	/** The tenant HAPI identified the request with, else the tenant of its URL, else null (no tenants). */
	static String tenant(RequestDetails request) {
		if (request == null) {
			return null;
		}
		Object identified = request.getUserData().get(TENANT);
		return identified != null ? identified.toString() : request.getTenantId();
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
