package hapibulk.bench;

import hapibulk.export.job.TypeKeyIndex;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.util.List;

/**
 * The export data spread over {@link #TENANTS} HAPI partitions for the tenant measure ({@code bench.operations}
 * with {@code tenant}): each resource, with its versions, tags and outgoing links, goes to partition
 * {@code RES_ID mod 10}. So one tenant's rows are interleaved with the nine others' over the whole key range of
 * every type, the case in which a partition condition that is only a filter would read ten rows for each one
 * exported. The partition ids are set in SQL, as HAPI would have stored them; the export reads them with the
 * tenant's condition, whatever the host's partition settings (a system export without {@code _typeFilter} asks
 * HAPI nothing else).
 */
final class TenantSpread implements AutoCloseable {

	static final int TENANTS = 10;

	/** Each table with the column that names the resource a row belongs to. */
	private static final List<List<String>> TABLES = List.of(List.of("HFJ_RESOURCE", "RES_ID"),
			List.of("HFJ_RES_VER", "RES_ID"), List.of("HFJ_RES_TAG", "RES_ID"),
			List.of("HFJ_RES_LINK", "SRC_RESOURCE_ID"));

	private final JdbcTemplate jdbc;

	private TenantSpread(DataSource dataSource) {
		this.jdbc = new JdbcTemplate(dataSource);
	}

	/** Spreads the rows now; {@link #close()} puts them back in the unpartitioned default (null). */
	static TenantSpread over(DataSource dataSource, boolean postgres) {
		TenantSpread spread = new TenantSpread(dataSource);
		spread.set("MOD(%s, " + TENANTS + ")");
		// The indexes a partitioned host gets from hapi.bulk.export.create-type-index, the tenant key among them.
		new TypeKeyIndex(spread.jdbc, true).afterSingletonsInstantiated();
		spread.jdbc.execute(postgres ? "ANALYZE HFJ_RESOURCE, HFJ_RES_VER, HFJ_RES_TAG, HFJ_RES_LINK" : "ANALYZE");
		return spread;
	}

	/** How many current resources the partition holds. */
	long resourcesOf(int partition) {
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE WHERE PARTITION_ID = ? AND RES_DELETED_AT IS NULL",
				Long.class, partition);
		return count == null ? 0 : count;
	}

	@Override
	public void close() {
		// Dropped, so that the import measures after this one maintain the indexes of an unpartitioned host.
		jdbc.execute("DROP INDEX IF EXISTS " + TypeKeyIndex.TENANT_NAME);
		set("NULL");
	}

	private void set(String expression) {
		for (List<String> table : TABLES) {
			jdbc.update("UPDATE " + table.get(0) + " SET PARTITION_ID = " + String.format(expression, table.get(1)));
		}
	}
}
