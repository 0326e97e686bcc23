package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.hl7.fhir.instance.model.api.IBaseResource;

import static hapibulk.support.fhir.AuditEventFacts.ACTION_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.CLIENT_ID_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.EVENT_TYPE_SYSTEM;
import static hapibulk.support.fhir.AuditEventFacts.SOURCE;

/**
 * The R5 AuditEvent, which R5 reshaped: R4's {@code type} became {@code category} and {@code subtype} the
 * required {@code code} (the bulk action); {@code outcome} is an element with a {@code code} Coding (0 or 4 of
 * audit-event-outcome); {@code agent.network} a choice ({@code networkString}); {@code source.site} a
 * Reference; {@code entity.name} is gone (the operation is the entity's {@code what.display}), and a
 * {@code detail.type} is a CodeableConcept.
 */
record R5AuditEvents(FhirContext fhirContext) implements FhirVersionSupport {

	static final String OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-outcome";
	static final String DETAIL_SYSTEM = "urn:hapibulk:audit-detail";

	@Override
	public IBaseResource auditEvent(AuditEventFacts facts) {
		ObjectNode event = AuditEventJson.start();
		event.putArray("category").addObject().putArray("coding")
				.add(AuditEventJson.coding(EVENT_TYPE_SYSTEM, "rest", "RESTful Operation"));
		event.putObject("code").putArray("coding").add(AuditEventJson.coding(ACTION_SYSTEM, facts.actionCode(), null));
		event.put("action", facts.fhirAction());
		event.put("recorded", facts.recorded().toString());
		event.putObject("outcome").set("code", facts.success() ? AuditEventJson.coding(OUTCOME_SYSTEM, "0", "Success")
				: AuditEventJson.coding(OUTCOME_SYSTEM, "4", "Minor failure"));
		ObjectNode agent = event.putArray("agent").addObject();
		agent.putObject("who").putObject("identifier").put("system", CLIENT_ID_SYSTEM)
				.put("value", facts.clientIdOrAnonymous());
		agent.put("requestor", true);
		if (facts.address() != null) {
			agent.put("networkString", facts.address());
		}
		ObjectNode source = event.putObject("source");
		source.putObject("site").put("display", SOURCE);
		source.putObject("observer").put("display", SOURCE);
		ObjectNode entity = event.putArray("entity").addObject();
		entity.putObject("what").put("display", facts.operation());
		facts.details().forEach((key, value) -> {
			ObjectNode detail = AuditEventJson.array(entity, "detail").addObject();
			detail.putObject("type").put("text", key).putArray("coding").addObject().put("system", DETAIL_SYSTEM)
					.put("code", key);
			detail.put("valueString", value);
		});
		return AuditEventJson.parse(fhirContext, event);
	}
}
