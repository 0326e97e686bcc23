package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IRequestPartitionHelperSvc;
import hapibulk.support.BulkErrors;

/**
 * What of HAPI's partitioning hapi-bulk cannot honour, refused at start-up rather than leaked across tenants
 * (docs/tenants.md). Partitioning itself is honoured, in HAPI's ordinary and database partition modes: every job
 * has the tenant HAPI's partition helper identifies its kick-off with. Without that helper (a partitioned host that
 * is not a HAPI JPA server) no request's partition can be known, so the extension does not start.
 */
final class PartitioningCheck {

	private PartitioningCheck() {}

	static void refuseIfPartitionsUnknowable(PartitionSettings settings, IRequestPartitionHelperSvc helper) {
		if (settings != null && settings.isPartitioningEnabled() && helper == null) {
			throw new IllegalStateException(BulkErrors.code(503) + "hapi-bulk cannot run on this partitioned HAPI server"
					+ " (PartitionSettings.isPartitioningEnabled() is true): it has no IRequestPartitionHelperSvc bean,"
					+ " so the partition of a bulk request cannot be known and an export could read every tenant's data."
					+ " Run the extension in a HAPI JPA server, or set hapi.bulk.enabled=false.");
		}
	}
}
