package hapibulk.tenant;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The HAPI partition(s) a bulk request was identified with, as HAPI's own request partition identification
 * decided at the kick-off: kept in the job's request record, so that every step, a restarted or taken-over job
 * and every later request about the job read the same tenant. Null in a request record means an unpartitioned
 * host (and rows written before tenants existed).
 *
 * @param names         the partition names (HAPI's {@code DEFAULT} for the default partition), in HAPI's order
 * @param ids           the partition ids, in the same order; an entry is null for the default partition when
 *                      HAPI's default partition id is null ({@code PARTITION_ID IS NULL} in its tables)
 * @param allPartitions whether HAPI let the request read every partition (names and ids then empty)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Tenant(List<String> names, List<Integer> ids, boolean allPartitions) {

	/** Every partition: what a request HAPI identifies with {@link RequestPartitionId#allPartitions()} reads. */
	public static final Tenant ALL = new Tenant(List.of(), List.of(), true);

	public Tenant {
		// Not List.copyOf: the default partition's id may be null.
		names = names == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(names));
		ids = ids == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(ids));
	}

	/** A normalized HAPI partition (names and ids both filled, as HAPI's helper returns them). */
	public static Tenant of(RequestPartitionId partition) {
		if (partition == null || partition.isAllPartitions()) {
			return ALL;
		}
		return new Tenant(partition.hasPartitionNames() ? partition.getPartitionNames() : List.of(),
				partition.hasPartitionIds() ? partition.getPartitionIds() : List.of(), false);
	}

	/** The partition as HAPI's DAOs take it ({@code SystemRequestDetails.forRequestPartitionId}). */
	public RequestPartitionId toRequestPartitionId() {
		if (allPartitions) {
			return RequestPartitionId.allPartitions();
		}
		return RequestPartitionId.forPartitionIdsAndNames(names.isEmpty() ? null : names, ids, null);
	}

	/**
	 * What identifies the tenant to people and to job ownership: the partition names joined by commas, or
	 * {@code *} for every partition. Two requests with the same key are the same tenant.
	 */
	@JsonIgnore
	public String key() {
		if (allPartitions) {
			return "*";
		}
		return names.isEmpty() ? ids.toString() : String.join(",", names);
	}

	/**
	 * The partitions as a condition on a {@code PARTITION_ID} column (HAPI's tables), to be a key of the scan:
	 * {@code = ?} for one partition, {@code IN (...)} for several, {@code IS NULL} for the default partition when its
	 * id is null. Null when the tenant reads every partition (no condition).
	 */
	public Condition condition(String column) {
		if (allPartitions) {
			return null;
		}
		List<Object> values = ids.stream().filter(id -> id != null).map(id -> (Object) id).toList();
		boolean nullPartition = ids.contains(null);
		List<String> parts = new ArrayList<>();
		if (values.size() == 1) {
			parts.add(column + " = ?");
		} else if (!values.isEmpty()) {
			parts.add(column + " IN (" + String.join(",", Collections.nCopies(values.size(), "?")) + ")");
		}
		if (nullPartition) {
			parts.add(column + " IS NULL");
		}
		if (parts.isEmpty()) {
			// A tenant of no partition reads nothing (never made by HAPI's helper; refuse rather than read all).
			return new Condition("1 = 0", List.of());
		}
		String sql = parts.size() == 1 ? parts.get(0) : "(" + String.join(" OR ", parts) + ")";
		return new Condition(sql, values);
	}

	/** A SQL condition and its arguments, in order. */
	public record Condition(String sql, List<Object> args) {}
}
