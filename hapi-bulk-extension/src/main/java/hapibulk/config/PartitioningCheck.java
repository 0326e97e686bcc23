package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import hapibulk.support.BulkErrors;

/**
 * What of HAPI's partitioning hapi-bulk cannot honour, refused at start-up rather than leaked across tenants.
 * Partitioning itself is honoured (see docs/tenants.md): every job has the tenant HAPI identifies its kick-off
 * with. Database partition mode is not: there HAPI's keys are (partition, id) pairs, and the export's keyset
 * scan and its joins over HAPI's reference index assume the resource key alone; untested, so refused.
 */
final class PartitioningCheck {

	private PartitioningCheck() {}

	static void refuseIfPartitioned(PartitionSettings settings) {
		if (settings != null && settings.isPartitioningEnabled() && settings.isDatabasePartitionMode()) {
			throw new IllegalStateException(BulkErrors.code(503) + "hapi-bulk cannot run on a HAPI server in database"
					+ " partition mode (PartitionSettings.isDatabasePartitionMode() is true): its exports key the scan"
					+ " on the resource id alone. Use HAPI's ordinary partitioning, or set hapi.bulk.enabled=false.");
		}
	}
}
