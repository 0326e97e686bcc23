package hapibulk.bench;

import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;

/**
 * Prints the database's plan for hapi-bulk's export page query (as StoredResourceReader issues it
 * for a system export), so that a plan that sorts a whole type per page shows in the benchmark log.
 */
final class ExplainPlans {

	static final String PAGE_QUERY = "SELECT r.RES_ID, r.FHIR_ID, r.RES_VER, r.HAS_TAGS, v.RES_UPDATED, v.RES_ENCODING,"
			+ " v.RES_TEXT_VC, v.SOURCE_URI, v.REQUEST_ID"
			+ " FROM HFJ_RESOURCE r JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER"
			+ " WHERE r.RES_TYPE = ? AND r.RES_DELETED_AT IS NULL AND r.RES_ID > ? ORDER BY r.RES_ID FETCH FIRST 1000 ROWS ONLY";

	private ExplainPlans() {}

	static void print(JdbcTemplate jdbc, String kind) {
		List<String> plan = jdbc.queryForList("EXPLAIN " + PAGE_QUERY.replaceFirst("\\?", "'Procedure'").replaceFirst("\\?", "0"),
				String.class);
		System.out.println("[bench " + kind + "] plan of the export page query:");
		plan.forEach(line -> System.out.println("    " + line.replace("\n", "\n    ")));
	}
}
