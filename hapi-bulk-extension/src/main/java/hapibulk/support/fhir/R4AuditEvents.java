package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hl7.fhir.instance.model.api.IBaseResource;

import static hapibulk.support.fhir.AuditEventFacts.ACTION_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.CLIENT_ID_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.EVENT_TYPE_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.SOURCE;

/**
 * The R4 (and R4B) AuditEvent: {@code type} rest, the bulk action as {@code subtype}, {@code outcome} 0 or 4,
 * the client in {@code agent.who.identifier} and {@code agent.network}, the operation as {@code entity.name}
 * and the facts as its {@code detail}s (string type, valueString).
 */
record R4AuditEvents(FhirContext fhirContext) implements FhirVersionSupport {

	@Override
	public IBaseResource auditEvent(AuditEventFacts facts) {
		ObjectNode event = AuditEventJson.start();
		event.set("type", AuditEventJson.coding(EVENT_TYPE_SYSTEM, "rest", "RESTful Operation"));
		event.putArray("subtype").add(AuditEventJson.coding(ACTION_SYSTEM, facts.actionCode(), null));
		event.put("action", facts.fhirAction());
		event.put("recorded", facts.recorded().toString());
		event.put("outcome", facts.success() ? "0" : "4");
		ObjectNode agent = event.putArray("agent").addObject();
		agent.putObject("who").putObject("identifier").put("system", CLIENT_ID_SYSTEM)
				.put("value", facts.clientIdOrAnonymous());
		agent.put("requestor", true);
		if (facts.address() != null) {
			agent.putObject("network").put("address", facts.address()).put("type", "2");
		}
		event.putObject("source").put("site", SOURCE).putObject("observer").put("display", SOURCE);
		ObjectNode entity = event.putArray("entity").addObject();
		entity.put("name", facts.operation());
		facts.details().forEach((key, value) -> AuditEventJson.array(entity, "detail").addObject().put("type", key)
				.put("valueString", value));
		return AuditEventJson.parse(fhirContext, event);
	}
}
