package hapibulk.export.job;

import hapibulk.tenant.Tenant;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.IResourcePersistentId;
import hapibulk.export.TypeFilters;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The resources a job's {@code _typeFilter} searches match, kept in our table
 * {@code BULK_EXPORT_MATCH} so that the keyset reader can join them, memory stays flat whatever
 * the number of matches, and a restarted job finds them again.
 */
public class TypeFilterMatches {

	private static final int BATCH = 1000;

	private final JdbcTemplate jdbc;
	private final DaoRegistry daoRegistry;
	private final TypeFilters typeFilters;

	public TypeFilterMatches(JdbcTemplate jdbc, DaoRegistry daoRegistry, TypeFilters typeFilters) {
		this.jdbc = jdbc;
		this.daoRegistry = daoRegistry;
		this.typeFilters = typeFilters;
	}

	/** Runs the queries (all of one type, OR'ed) through HAPI's search and records every match. */
	void record(String jobId, String type, List<String> queries) {
		record(jobId, type, queries, null);
	}

	/**
	 * As {@link #record(String, String, List)}, the searches run in the tenant's partition(s) (a system request
	 * carrying them, as HAPI's own batch jobs search), so a match is never another tenant's resource.
	 */
	@SuppressWarnings({"unchecked", "rawtypes"})
	void record(String jobId, String type, List<String> queries, Tenant tenant) {
		SystemRequestDetails request = tenant == null ? new SystemRequestDetails()
				: SystemRequestDetails.forRequestPartitionId(tenant.toRequestPartitionId());
		jdbc.update("DELETE FROM BULK_EXPORT_MATCH WHERE JOB_ID = ? AND RES_TYPE = ?", jobId, type);
		for (String query : queries) {
			List<Object[]> batch = new ArrayList<>(BATCH);
			try (Stream<IResourcePersistentId<?>> ids = daoRegistry.getResourceDao(type)
					.searchForIdStream(typeFilters.searchOf(query), request, null)) {
				ids.forEach(id -> {
					batch.add(new Object[] {jobId, type, ((Number) id.getId()).longValue()});
					if (batch.size() == BATCH) {
						insert(batch);
					}
				});
			}
			insert(batch);
		}
	}

	void forget(String jobId) {
		jdbc.update("DELETE FROM BULK_EXPORT_MATCH WHERE JOB_ID = ?", jobId);
	}

	private void insert(List<Object[]> batch) {
		if (!batch.isEmpty()) {
			jdbc.batchUpdate("INSERT INTO BULK_EXPORT_MATCH (JOB_ID, RES_TYPE, RES_ID) VALUES (?, ?, ?)", batch);
			batch.clear();
		}
	}
}
