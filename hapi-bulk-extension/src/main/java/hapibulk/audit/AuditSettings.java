package hapibulk.audit;

import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code hapi.bulk.audit.*}.
 *
 * @param storeEvents whether each audited action is also stored as a FHIR AuditEvent in the server
 *                    (the JSON log line is always written)
 */
public record AuditSettings(@DefaultValue("true") boolean storeEvents) {}
