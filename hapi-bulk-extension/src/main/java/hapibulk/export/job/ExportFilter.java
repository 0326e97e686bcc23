package hapibulk.export.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.annotation.JsonInclude;
import hapibulk.support.BulkJson;
import hapibulk.tenant.Tenant;

import java.util.List;

/**
 * What one export partition selects: the resources of one type (or, for {@code deleted}, the
 * deletions of several types) within the export's time window and patient scope. Immutable for the
 * life of the job; kept in the partition's execution context.
 *
 * @param type             the resource type; "Bundle" for the deleted partition
 * @param deleted          whether this partition lists deletions (manifest {@code deleted[]})
 * @param deletedTypes     for the deleted partition: the types whose deletions count (empty: all)
 * @param since            epoch millis: only resources updated (or deleted) after it, or null
 * @param until            epoch millis: only resources updated (or deleted) at or before it, or null
 * @param compartment      whether the Patient compartment bounds the export (Patient and Group level)
 * @param compartmentPaths the reference paths that put a resource of {@code type} in a patient's compartment
 * @param groupPid         when set, only the compartments of this Group's members
 * @param patientPids      when not empty, only the compartments of these patients
 * @param elements         {@code _elements}: the JSON names each resource keeps; empty for whole resources
 * @param matchesOfJob     when set, only resources this job's {@code _typeFilter} matched (BULK_EXPORT_MATCH)
 * @param latestOnly       for Provenance: only the most recently updated Provenance of a target
 * @param referenced       for a type outside the compartment: the resources that the exported patients
 *                         and their compartment resources reference ({@code compartmentPaths}: all paths)
 * @param scopeOfJob       when set, only the resources of {@code type} this job's plan recorded in its
 *                         compartment scope (BULK_EXPORT_SCOPE, see {@link CompartmentScope}); it then
 *                         stands for {@code compartmentPaths}, {@code groupPid} and {@code patientPids}
 * @param keyRange         when set, only the resources of this range of keys ({@code HFJ_RESOURCE.RES_ID}): one
 *                         of the partitions a large type is cut into (see {@link KeyRange})
 * @param tenant           when set, only the resources of this tenant's HAPI partition(s) ({@code PARTITION_ID}, a
 *                         key of the scan); null on an unpartitioned host
 */
public record ExportFilter(String type, boolean deleted, List<String> deletedTypes, Long since, Long until,
		boolean compartment, List<String> compartmentPaths, Long groupPid, List<Long> patientPids,
		List<String> elements, String matchesOfJob, boolean latestOnly, boolean referenced, String scopeOfJob,
		KeyRange keyRange, @JsonInclude(JsonInclude.Include.NON_NULL) Tenant tenant) {

	/**
	 * Keys {@code after < RES_ID <= upTo}; a null bound is open. Ranges of one type are numbered from 1, and the
	 * number goes into the partition's name and its files' names ({@code Encounter.2-1.ndjson}).
	 */
	public record KeyRange(int index, Long after, Long upTo) {}

	private static final ObjectMapper MAPPER = BulkJson.MAPPER;
	private static final TypeReference<List<ExportFilter>> LIST = new TypeReference<>() {};

	public static final String DELETED_PARTITION = "deleted";

	public ExportFilter {
		deletedTypes = deletedTypes == null ? List.of() : List.copyOf(deletedTypes);
		compartmentPaths = compartmentPaths == null ? List.of() : List.copyOf(compartmentPaths);
		patientPids = patientPids == null ? List.of() : List.copyOf(patientPids);
		elements = elements == null ? List.of() : List.copyOf(elements);
	}

	public ExportFilter(String type, boolean deleted, List<String> deletedTypes, Long since, Long until,
			boolean compartment, List<String> compartmentPaths, Long groupPid, List<Long> patientPids,
			List<String> elements, String matchesOfJob, boolean latestOnly, boolean referenced) {
		this(type, deleted, deletedTypes, since, until, compartment, compartmentPaths, groupPid, patientPids, elements,
				matchesOfJob, latestOnly, referenced, null, null, null);
	}

	/** The same filter, only the resources of this tenant's partition(s) (all when null). */
	public ExportFilter withTenant(Tenant value) {
		return new ExportFilter(type, deleted, deletedTypes, since, until, compartment, compartmentPaths, groupPid,
				patientPids, elements, matchesOfJob, latestOnly, referenced, scopeOfJob, keyRange, value);
	}

	/** The same filter, reading the compartment scope that job {@code jobId}'s plan recorded. */
	public ExportFilter withScopeOf(String jobId) {
		return new ExportFilter(type, deleted, deletedTypes, since, until, compartment, compartmentPaths, groupPid,
				patientPids, elements, matchesOfJob, latestOnly, referenced, jobId, keyRange, tenant);
	}

	/** The same filter, only the keys of {@code range}. */
	public ExportFilter withKeyRange(KeyRange range) {
		return new ExportFilter(type, deleted, deletedTypes, since, until, compartment, compartmentPaths, groupPid,
				patientPids, elements, matchesOfJob, latestOnly, referenced, scopeOfJob, range, tenant);
	}

	/** The partition's name, unique within a job: the type (with its range's number), or "deleted". */
	public String partitionName() {
		if (deleted) {
			return DELETED_PARTITION;
		}
		return keyRange == null ? type : type + "." + keyRange.index();
	}

	public String toJson() {
		try {
			return MAPPER.writeValueAsString(this);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}

	public static ExportFilter fromJson(String json) {
		try {
			return MAPPER.readValue(json, ExportFilter.class);
		} catch (JsonProcessingException e) {
			throw new IllegalArgumentException("Not an export filter: " + json, e);
		}
	}

	static String listToJson(List<ExportFilter> filters) {
		try {
			return MAPPER.writeValueAsString(filters);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}

	static List<ExportFilter> listFromJson(String json) {
		try {
			return MAPPER.readValue(json, LIST);
		} catch (JsonProcessingException e) {
			throw new IllegalArgumentException("Not a list of export filters: " + json, e);
		}
	}
}
