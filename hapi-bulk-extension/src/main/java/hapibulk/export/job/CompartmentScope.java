package hapibulk.export.job;

import hapibulk.export.PatientCompartment;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * The resources a Group export, or a Patient export of listed patients, may hold: found once, in the
 * plan step, from HAPI's reference index walked from the exported patients' keys, and kept in
 * {@code BULK_EXPORT_SCOPE} (type, key) for the life of the job, where the keyset reader joins them.
 * <p>
 * Why: asking, for every resource of every type, whether one of its compartment references points at
 * one of the Group's members costs in proportion to the server (and on H2 it re-read the Group's
 * members for every row): 80-96 s for a Group of 4 on 7,160 resources. Walking from the members
 * uses HAPI's index on {@code HFJ_RES_LINK (TARGET_RESOURCE_ID, SRC_PATH, ...)} (and the one on
 * {@code SRC_RESOURCE_ID} for the next steps), so the cost follows the compartments. After the
 * patients, three {@code INSERT ... SELECT}s, so nothing of the size of the scope passes through memory
 * (the table is made by {@code BulkSchemaInitializer}):
 * <ol>
 * <li>every resource one of whose compartment paths points at one of the patients;</li>
 * <li>when asked for, the resources of types outside the compartment that any of those reference;</li>
 * <li>Provenance whose target is a patient or a resource of step 1 (the IG's default without
 * includeAssociatedData).</li>
 * </ol>
 * A key may be recorded more than once (a resource reached by two paths): the reader's
 * {@code IN (...)} does not care, and de-duplicating would cost a sort of the whole scope.
 */
class CompartmentScope {

	static final String TABLE = "BULK_EXPORT_SCOPE";

	private static final int PATIENTS_PER_STATEMENT = 1000;

	private final JdbcTemplate jdbc;
	private final PatientCompartment compartment;

	CompartmentScope(JdbcTemplate jdbc, PatientCompartment compartment) {
		this.jdbc = jdbc;
		this.compartment = compartment;
	}

	/**
	 * Records the scope of a job (replacing what an earlier run of its plan recorded).
	 *
	 * @param groupPid        the Group whose members are exported, when {@code patientPids} is empty
	 * @param patientPids     the exported patients' keys (members of the Group, when there is one)
	 * @param referencedTypes types outside the compartment whose referenced resources are exported (may be empty)
	 */
	void record(String jobId, Long groupPid, List<Long> patientPids, Collection<String> referencedTypes) {
		forget(jobId);
		if (patientPids.isEmpty()) {
			jdbc.update("INSERT INTO " + TABLE + " (JOB_ID, RES_TYPE, RES_ID) SELECT ?, 'Patient', m.TARGET_RESOURCE_ID"
					+ " FROM HFJ_RES_LINK m WHERE m.SRC_RESOURCE_ID = ? AND m.SRC_PATH = 'Group.member.entity'"
					+ " AND m.TARGET_RESOURCE_TYPE = 'Patient'", jobId, groupPid);
		}
		for (int from = 0; from < patientPids.size(); from += PATIENTS_PER_STATEMENT) {
			List<Long> batch = patientPids.subList(from, Math.min(patientPids.size(), from + PATIENTS_PER_STATEMENT));
			jdbc.batchUpdate("INSERT INTO " + TABLE + " (JOB_ID, RES_TYPE, RES_ID) VALUES (?, 'Patient', ?)",
					batch.stream().map(pid -> new Object[] {jobId, pid}).toList());
		}
		List<String> paths = compartment.allPaths();
		List<Object> args = new ArrayList<>();
		args.add(jobId);
		args.addAll(paths);
		jdbc.update("INSERT INTO " + TABLE + " (JOB_ID, RES_TYPE, RES_ID)"
				+ " SELECT s.JOB_ID, l.SOURCE_RESOURCE_TYPE, l.SRC_RESOURCE_ID FROM " + TABLE + " s"
				+ " JOIN HFJ_RES_LINK l ON l.TARGET_RESOURCE_ID = s.RES_ID"
				+ " WHERE s.JOB_ID = ? AND s.RES_TYPE = 'Patient' AND l.SRC_PATH IN (" + placeholders(paths.size()) + ")"
				+ " AND l.TARGET_RESOURCE_TYPE = 'Patient'", args.toArray());
		if (!referencedTypes.isEmpty()) {
			args = new ArrayList<>();
			args.add(jobId);
			args.addAll(referencedTypes);
			jdbc.update("INSERT INTO " + TABLE + " (JOB_ID, RES_TYPE, RES_ID)"
					+ " SELECT s.JOB_ID, l.TARGET_RESOURCE_TYPE, l.TARGET_RESOURCE_ID FROM " + TABLE + " s"
					+ " JOIN HFJ_RES_LINK l ON l.SRC_RESOURCE_ID = s.RES_ID"
					+ " WHERE s.JOB_ID = ? AND l.TARGET_RESOURCE_ID IS NOT NULL"
					+ " AND l.TARGET_RESOURCE_TYPE IN (" + placeholders(referencedTypes.size()) + ")", args.toArray());
		}
		// Provenance of the patients and their compartments, not of the referenced resources.
		args = new ArrayList<>();
		args.add(jobId);
		args.addAll(referencedTypes);
		jdbc.update("INSERT INTO " + TABLE + " (JOB_ID, RES_TYPE, RES_ID)"
				+ " SELECT s.JOB_ID, 'Provenance', l.SRC_RESOURCE_ID FROM " + TABLE + " s"
				+ " JOIN HFJ_RES_LINK l ON l.TARGET_RESOURCE_ID = s.RES_ID"
				+ " WHERE s.JOB_ID = ? AND l.SRC_PATH = 'Provenance.target'"
				+ (referencedTypes.isEmpty() ? "" : " AND s.RES_TYPE NOT IN (" + placeholders(referencedTypes.size()) + ")"),
				args.toArray());
	}

	void forget(String jobId) {
		jdbc.update("DELETE FROM " + TABLE + " WHERE JOB_ID = ?", jobId);
	}

	private static String placeholders(int count) {
		return String.join(",", Collections.nCopies(count, "?"));
	}
}
