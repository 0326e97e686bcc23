package hapibulk.imports.job;

import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.tenant.Tenant;

import java.util.Set;

/**
 * What the lines of one input may do, as the kick-off's access token allowed on its type: store
 * new resources ({@code create}) and change stored ones, deleted ones included ({@code update});
 * and which types their inline match URLs may search ({@code readable}, null: every type), since HAPI
 * resolves those as it stores the line; and where they are written: the job's {@code tenant} (the partition HAPI
 * chose for a create in the kick-off), or null on an unpartitioned host.
 */
record WriteRights(boolean create, boolean update, Set<String> readable, Tenant tenant) {

	static final WriteRights ALL = new WriteRights(true, true, null);

	WriteRights(boolean create, boolean update, Set<String> readable) {
		this(create, update, readable, null);
	}

	WriteRights {
		readable = readable == null ? null : Set.copyOf(readable);
	}

	WriteRights(boolean create, boolean update) {
		this(create, update, null);
	}

	/** The request the DAO writes with: a system request in the tenant's partition, if any. */
	SystemRequestDetails requestDetails() {
		return tenant == null ? new SystemRequestDetails()
				: SystemRequestDetails.forRequestPartitionId(tenant.toRequestPartitionId());
	}

	/** Whether some lines may have to be refused: then each line's id is looked up before it is written. */
	boolean restricted() {
		return !(create && update);
	}
}
