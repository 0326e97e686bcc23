package hapibulk.export.job;

import hapibulk.tenant.Tenant;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

import static hapibulk.export.job.Sql.placeholders;

/**
 * An {@link ExportFilter} as SQL over HAPI's tables (HAPI 8.8 schema). Patient compartments come from
 * HAPI's reference index ({@code HFJ_RES_LINK}): a resource is in a patient's compartment when one of
 * its compartment reference paths points at that patient.
 */
final class FilterSql {

	static final String GROUP_MEMBERS = "SELECT m.TARGET_RESOURCE_ID FROM HFJ_RES_LINK m"
			+ " WHERE m.SRC_RESOURCE_ID = ? AND m.SRC_PATH = 'Group.member.entity' AND m.TARGET_RESOURCE_TYPE = 'Patient'";

	private FilterSql() {
	}

	/**
	 * {@code where} limited to the tenant's partition(s), on the exported row itself ({@code r.PARTITION_ID}, next
	 * to its type: a key of the scan). Every row an export writes is such a row, so Group members, compartments,
	 * referenced resources, Provenance and deletions found through HAPI's reference index are all held to the
	 * tenant here, whatever partition a reference points into.
	 */
	static Sql inTenant(Sql where, Tenant tenant) {
		Tenant.Condition condition = tenant == null ? null : tenant.condition("r.PARTITION_ID");
		return condition == null ? where : where.and(condition.sql(), condition.args().toArray());
	}

	/** The filter's conditions, within its key range when it has one. */
	static Sql where(ExportFilter filter) {
		Sql where = conditions(filter);
		ExportFilter.KeyRange range = filter.keyRange();
		if (range != null && range.after() != null) {
			where = where.and("r.RES_ID > ?", range.after());
		}
		if (range != null && range.upTo() != null) {
			where = where.and("r.RES_ID <= ?", range.upTo());
		}
		return where;
	}

	private static Sql conditions(ExportFilter filter) {
		Sql where = inTenant(new Sql("r.RES_TYPE = ? AND r.RES_DELETED_AT IS NULL", filter.type()), filter.tenant());
		if (filter.since() != null) {
			where = where.and("r.RES_UPDATED > ?", new Timestamp(filter.since()));
		}
		if (filter.until() != null) {
			where = where.and("r.RES_UPDATED <= ?", new Timestamp(filter.until()));
		}
		if (filter.latestOnly()) {
			// Latest by lastUpdated (then key): some target of this Provenance has no later Provenance.
			where = where.and("EXISTS (SELECT 1 FROM HFJ_RES_LINK pt WHERE pt.SRC_RESOURCE_ID = r.RES_ID"
					+ " AND pt.SRC_PATH = 'Provenance.target' AND NOT EXISTS (SELECT 1 FROM HFJ_RES_LINK qt"
					+ " JOIN HFJ_RESOURCE q ON q.RES_ID = qt.SRC_RESOURCE_ID WHERE qt.TARGET_RESOURCE_ID = pt.TARGET_RESOURCE_ID"
					+ " AND qt.SRC_PATH = 'Provenance.target' AND q.RES_DELETED_AT IS NULL"
					+ " AND (q.RES_UPDATED > r.RES_UPDATED OR (q.RES_UPDATED = r.RES_UPDATED AND q.RES_ID > r.RES_ID))))");
		}
		if (filter.matchesOfJob() != null) {
			where = where.and("EXISTS (SELECT 1 FROM BULK_EXPORT_MATCH x WHERE x.JOB_ID = ? AND x.RES_ID = r.RES_ID)",
					filter.matchesOfJob());
		}
		if (filter.scopeOfJob() != null) {
			return where.and("r.RES_ID IN (SELECT s.RES_ID FROM " + CompartmentScope.TABLE
					+ " s WHERE s.JOB_ID = ? AND s.RES_TYPE = ?)", filter.scopeOfJob(), filter.type());
		}
		if (!filter.compartment()) {
			return where;
		}
		Sql members = members(filter);
		if (filter.type().equals("Patient")) {
			return members == null ? where : where.and("r.RES_ID IN (" + members.sql() + ")", members.args().toArray());
		}
		if (filter.referenced()) {
			// Referenced by an exported patient, or by a resource of their compartments.
			Sql source = patientOrInCompartment("ref.SRC_RESOURCE_ID", "ref.SOURCE_RESOURCE_TYPE",
					filter.compartmentPaths(), members);
			return where.and("EXISTS (SELECT 1 FROM HFJ_RES_LINK ref WHERE ref.TARGET_RESOURCE_ID = r.RES_ID AND "
					+ source.sql() + ")", source.args().toArray());
		}
		if (filter.type().equals(StoredResourceReader.PROVENANCE)) {
			// Targets an exported patient, or a resource of their compartments.
			Sql target = patientOrInCompartment("t.TARGET_RESOURCE_ID", "t.TARGET_RESOURCE_TYPE",
					filter.compartmentPaths(), members);
			return where.and("EXISTS (SELECT 1 FROM HFJ_RES_LINK t WHERE t.SRC_RESOURCE_ID = r.RES_ID"
					+ " AND t.SRC_PATH = 'Provenance.target' AND " + target.sql() + ")", target.args().toArray());
		}
		Sql inCompartment = inCompartment("r.RES_ID", filter.compartmentPaths(), members);
		return where.and(inCompartment.sql(), inCompartment.args().toArray());
	}

	/**
	 * The filter's conditions limited to the block of one patient: the patient itself (for type
	 * Patient), or the resources in that patient's compartment through {@code filter.compartmentPaths()},
	 * looked up from the reference index by the patient's key.
	 */
	static Sql block(ExportFilter filter, long patientPid) {
		Sql where = where(filter);
		if (filter.type().equals("Patient")) {
			return where.and("r.RES_ID = ?", patientPid);
		}
		List<Object> args = new ArrayList<>(List.of(patientPid));
		args.addAll(filter.compartmentPaths());
		return where.and("r.RES_ID IN (SELECT l.SRC_RESOURCE_ID FROM HFJ_RES_LINK l WHERE l.TARGET_RESOURCE_ID = ?"
				+ " AND l.TARGET_RESOURCE_TYPE = 'Patient' AND l.SRC_PATH IN ("
				+ placeholders(filter.compartmentPaths().size()) + "))", args.toArray());
	}

	/** SQL true when the resource at {@code key} (of type {@code type}) is an exported patient or in their compartments. */
	private static Sql patientOrInCompartment(String key, String type, List<String> paths, Sql members) {
		List<Object> args = new ArrayList<>();
		String patient = type + " = 'Patient'";
		if (members != null) {
			patient += " AND " + key + " IN (" + members.sql() + ")";
			args.addAll(members.args());
		}
		Sql inCompartment = inCompartment(key, paths, members);
		args.addAll(inCompartment.args());
		return new Sql("((" + patient + ") OR " + inCompartment.sql() + ")", args);
	}

	/** SQL true when the resource with key {@code resourceKey} is in the compartment of one of the members. */
	private static Sql inCompartment(String resourceKey, List<String> paths, Sql members) {
		List<Object> args = new ArrayList<>(paths);
		String exists = "EXISTS (SELECT 1 FROM HFJ_RES_LINK l WHERE l.SRC_RESOURCE_ID = " + resourceKey
				+ " AND l.TARGET_RESOURCE_TYPE = 'Patient' AND l.SRC_PATH IN (" + placeholders(args.size()) + ")";
		if (members != null) {
			exists += " AND l.TARGET_RESOURCE_ID IN (" + members.sql() + ")";
			args.addAll(members.args());
		}
		return new Sql(exists + ")", args);
	}

	/** The patients whose compartments are exported, as SQL, or null for every patient. */
	static Sql members(ExportFilter filter) {
		if (!filter.patientPids().isEmpty()) {
			return new Sql(placeholders(filter.patientPids().size()), filter.patientPids().toArray());
		}
		if (filter.groupPid() != null) {
			return new Sql(GROUP_MEMBERS, filter.groupPid());
		}
		return null;
	}

	/** The deletions the filter selects (of its deleted types, in its time window). */
	static Sql deletedWhere(ExportFilter filter) {
		Sql where = inTenant(new Sql("r.RES_DELETED_AT IS NOT NULL"), filter.tenant());
		if (filter.since() != null) {
			where = where.and("r.RES_DELETED_AT > ?", new Timestamp(filter.since()));
		}
		if (filter.until() != null) {
			where = where.and("r.RES_DELETED_AT <= ?", new Timestamp(filter.until()));
		}
		if (!filter.deletedTypes().isEmpty()) {
			where = where.and("r.RES_TYPE IN (" + placeholders(filter.deletedTypes().size()) + ")",
					filter.deletedTypes().toArray());
		}
		return where;
	}
}
