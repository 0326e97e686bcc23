package hapibulk.support.fhir;

import java.time.Instant;
import java.util.Map;

/**
 * What an AuditEvent of a bulk action says, whatever the FHIR version: the fields of an audit record.
 *
 * @param actionCode  the bulk action ({@code export-kickoff}, ...), under {@link #ACTION_SYSTEM}
 * @param fhirAction  AuditEvent.action: C, R, U, D or E
 * @param clientId    the client, or null (anonymous)
 * @param address     the client's network address, or null
 * @param operation   the operation or endpoint ({@code $export}, ...)
 * @param details     further facts, in order
 */
public record AuditEventFacts(String actionCode, String fhirAction, Instant recorded, boolean success, String clientId,
		String address, String operation, Map<String, String> details) {

	/** The code system of the bulk actions (R4 AuditEvent.subtype, R5 AuditEvent.code). */
	public static final String ACTION_SYSTEM = "urn:hapibulk:audit-action";
	public static final String CLIENT_ID_SYSTEM = "urn:hapibulk:client-id";
	static final String EVENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-type";
	static final String SOURCE = "hapi-bulk";

	String clientIdOrAnonymous() {
		return clientId == null ? "anonymous" : clientId;
	}
}
