package hapibulk.audit;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code hapi.bulk.audit.*}.
 *
 * @param storeEvents     whether each audited action is also stored as a FHIR AuditEvent in the server
 *                        (the JSON log line is always written)
 * @param jobListInterval reads of the job list ($bulk-jobs without job): one stored AuditEvent per
 *                        client in this time, the others counted into its next one (every read is in the log)
 */
public record AuditSettings(@DefaultValue("true") boolean storeEvents, @DefaultValue("60s") Duration jobListInterval) {}
