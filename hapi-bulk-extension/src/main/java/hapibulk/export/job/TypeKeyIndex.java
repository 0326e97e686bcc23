package hapibulk.export.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * An index on HAPI's {@code HFJ_RESOURCE (RES_TYPE, RES_ID)}, which HAPI 8.8 does not have. Without
 * it each page of a type's export walks the key index of every type and skips the other types'
 * rows, so a system export reads the table once per type; with it a page reads its own rows only.
 * <p>
 * Created at start-up when {@code hapi.bulk.export.create-type-index} is on (after every singleton,
 * so HAPI's own schema exists by then). On a large existing table docs/performance.md's
 * {@code CREATE INDEX CONCURRENTLY} is kinder: a plain create blocks writes while it runs.
 * {@link StoredResourceReader} uses the index whenever it exists, however it was made.
 * <p>
 * On a partitioned host a second index, {@code (RES_TYPE, PARTITION_ID, RES_ID)}, makes a tenant's partition a key
 * of the page's scan: without it the scan walks every tenant's keys of the type and skips the others' rows.
 */
public class TypeKeyIndex implements SmartInitializingSingleton {

	public static final String NAME = "HAPIBULK_RES_TYPE_KEY";
	public static final String TENANT_NAME = "HAPIBULK_RES_TYPE_PART_KEY";
	private static final Logger LOG = LoggerFactory.getLogger(TypeKeyIndex.class);

	private final JdbcTemplate jdbc;
	private final boolean partitioned;

	/** @param partitioned whether the host stores resources in partitions (then the tenant index is made too) */
	public TypeKeyIndex(JdbcTemplate jdbc, boolean partitioned) {
		this.jdbc = jdbc;
		this.partitioned = partitioned;
	}

	@Override
	public void afterSingletonsInstantiated() {
		create(NAME, "RES_TYPE, RES_ID");
		if (partitioned) {
			create(TENANT_NAME, "RES_TYPE, PARTITION_ID, RES_ID");
		}
	}

	private void create(String name, String columns) {
		try {
			jdbc.execute("CREATE INDEX IF NOT EXISTS " + name + " ON HFJ_RESOURCE (" + columns + ")");
		} catch (DataAccessException e) {
			// Not every database has IF NOT EXISTS; exports work without the index, only slower.
			LOG.warn("Could not create the export index {} on HFJ_RESOURCE ({}): {}", name, columns,
					e.getMostSpecificCause().getMessage());
		}
	}
}
