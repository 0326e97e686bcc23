package hapibulk.bench;

import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import org.hl7.fhir.r4.model.Group;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;

/**
 * The Group of the benchmark's Group export: the first {@code members} patients by key (whole
 * Synthea copies, so a tenth of the patients brings about a tenth of the data), stored through
 * HAPI so that its members are in HAPI's reference index as a client's Group would be.
 */
final class BenchGroup {

	static final String ID = "bench-group";

	private BenchGroup() {}

	/** Creates the Group; returns how many members it has. */
	static int create(DaoRegistry daoRegistry, JpaStorageSettings storage, JdbcTemplate jdbc, int members) {
		List<String> patients = jdbc.queryForList("SELECT FHIR_ID FROM HFJ_RESOURCE WHERE RES_TYPE = 'Patient'"
				+ " AND RES_DELETED_AT IS NULL ORDER BY RES_ID FETCH FIRST " + members + " ROWS ONLY", String.class);
		Group group = new Group();
		group.setId(ID);
		group.setType(Group.GroupType.PERSON).setActual(true);
		patients.forEach(id -> group.addMember().getEntity().setReference("Patient/" + id));
		// The benchmark's imports switch the check off; a member must resolve to its patient's key here.
		boolean integrity = storage.isEnforceReferentialIntegrityOnWrite();
		storage.setEnforceReferentialIntegrityOnWrite(true);
		try {
			daoRegistry.getResourceDao("Group").update(group, new SystemRequestDetails());
		} finally {
			storage.setEnforceReferentialIntegrityOnWrite(integrity);
		}
		Integer linked = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RES_LINK l JOIN HFJ_RESOURCE g ON g.RES_ID = l.SRC_RESOURCE_ID"
				+ " WHERE g.RES_TYPE = 'Group' AND g.FHIR_ID = ? AND l.TARGET_RESOURCE_ID IS NOT NULL", Integer.class, ID);
		if (linked == null || linked != patients.size()) {
			throw new IllegalStateException("Group " + ID + " has " + linked + " indexed members of " + patients.size());
		}
		return patients.size();
	}
}
