package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import hapibulk.support.BulkErrors;

/**
 * hapi-bulk does not honour HAPI's partitions yet: an export would read every partition (one
 * tenant's export holding all tenants' data) and an import would write to the default partition.
 * Rather than leak across tenants, the extension refuses to start on a partitioned server.
 */
final class PartitioningCheck {

	private PartitioningCheck() {}

	static void refuseIfPartitioned(PartitionSettings settings) {
		if (settings != null && settings.isPartitioningEnabled()) {
			throw new IllegalStateException(BulkErrors.code(503) + "hapi-bulk cannot run on a partitioned HAPI server"
					+ " (PartitionSettings.isPartitioningEnabled() is true; hapi.fhir.partitioning in the JPA starter):"
					+ " it does not honour partitions yet, so an export would hold every partition's data and an"
					+ " import would write to the default partition. Turn partitioning off, or set"
					+ " hapi.bulk.enabled=false.");
		}
	}
}
