package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import hapibulk.export.job.StoredResource.StoredTag;
import hapibulk.tenant.Tenant;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static hapibulk.export.job.Sql.placeholders;

/**
 * Reads current resources straight from HAPI's tables (HAPI 8.8 schema): the one place that knows
 * HAPI's storage layout (with {@link FilterSql} for the conditions, {@link PageRows} for the page query,
 * {@link StoredTags} and {@link DeletedPages}). Pages by resource key (keyset, never OFFSET), bounded by
 * rows and bytes. Resources HAPI stores in any other form than plain JSON text are read through HAPI's
 * DAO. {@code ExportJobTest} checks the result against HAPI's own read.
 */
public class StoredResourceReader {

	static final String PROVENANCE = "Provenance";

	private final JdbcTemplate jdbc;
	private final PageRows pageRows;
	private final StoredTags storedTags;
	private final DeletedPages deletedPages;
	private final DaoRegistry daoRegistry;
	private final FhirContext fhirContext;

	public StoredResourceReader(JdbcTemplate jdbc, DaoRegistry daoRegistry, FhirContext fhirContext) {
		this.jdbc = jdbc;
		this.pageRows = new PageRows(jdbc);
		this.storedTags = new StoredTags(jdbc);
		this.deletedPages = new DeletedPages(jdbc, daoRegistry, fhirContext);
		this.daoRegistry = daoRegistry;
		this.fhirContext = fhirContext;
	}

	/**
	 * One page of resources and whether another may follow.
	 *
	 * @param lastKey the key the next page starts after: the last resource's, or that of the last row
	 *                looked at when rows were left out (deletions outside the exported compartments)
	 */
	public record Page(List<StoredResource> resources, boolean more, long lastKey) {

		Page(List<StoredResource> resources, boolean more) {
			this(resources, more, resources.isEmpty() ? Long.MIN_VALUE : resources.get(resources.size() - 1).pid());
		}
	}

	/** The types of which at least one current resource exists. */
	public List<String> typesPresent() {
		return typesPresent(null);
	}

	/** The types of which at least one current resource exists in the tenant's partition(s) (all when null). */
	public List<String> typesPresent(Tenant tenant) {
		Sql where = FilterSql.inTenant(new Sql("r.RES_DELETED_AT IS NULL"), tenant);
		return jdbc.queryForList("SELECT DISTINCT r.RES_TYPE FROM HFJ_RESOURCE r WHERE " + where.sql()
				+ " ORDER BY r.RES_TYPE", String.class, where.args().toArray());
	}

	/** The key of a current (not deleted) resource. */
	public Optional<Long> findPid(String type, String fhirId) {
		return findPid(type, fhirId, null);
	}

	/**
	 * The key of a current resource of the tenant's partition(s) (any when null): the same id in two tenants is two
	 * resources.
	 */
	public Optional<Long> findPid(String type, String fhirId, Tenant tenant) {
		Sql where = FilterSql.inTenant(new Sql("r.RES_TYPE = ? AND r.FHIR_ID = ? AND r.RES_DELETED_AT IS NULL", type,
				fhirId), tenant);
		return jdbc.queryForList("SELECT r.RES_ID FROM HFJ_RESOURCE r WHERE " + where.sql(), Long.class,
				where.args().toArray()).stream().findFirst();
	}

	/** Which of {@code patientPids} are members of the group. */
	public List<Long> groupMembersAmong(long groupPid, Collection<Long> patientPids) {
		if (patientPids.isEmpty()) {
			return List.of();
		}
		List<Object> args = new ArrayList<>(List.of(groupPid));
		args.addAll(patientPids);
		return jdbc.queryForList(FilterSql.GROUP_MEMBERS + " AND m.TARGET_RESOURCE_ID IN ("
				+ placeholders(patientPids.size()) + ")", Long.class, args.toArray());
	}

	/** How many resources the filter selects now. */
	public long count(ExportFilter filter) {
		Sql where = filter.deleted() ? FilterSql.deletedWhere(filter) : FilterSql.where(filter);
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE r WHERE " + where.sql(), Long.class,
				where.args().toArray());
		return count == null ? 0 : count;
	}

	/**
	 * The next resources the filter selects after key {@code afterPid}: at most {@code maxRows}, and
	 * no more once {@code maxBytes} of stored text were read (at least one row, however large).
	 */
	public Page readPage(ExportFilter filter, long afterPid, int maxRows, long maxBytes) {
		return filter.deleted() ? deletedPages.read(filter, afterPid, maxRows)
				: readResourcePage(filter.type(), FilterSql.where(filter), afterPid, maxRows, maxBytes);
	}

	/**
	 * Like {@link #readPage}, limited to the block of one patient: the patient itself (for type
	 * Patient), or the resources in that patient's compartment through {@code filter.compartmentPaths()}.
	 * Looks the block up from the reference index by the patient's key, so a block costs in proportion
	 * to its own size, not to the size of the type.
	 */
	public Page readBlockPage(ExportFilter filter, long patientPid, long afterPid, int maxRows, long maxBytes) {
		return readResourcePage(filter.type(), FilterSql.block(filter, patientPid), afterPid, maxRows, maxBytes);
	}

	private Page readResourcePage(String type, Sql filterWhere, long afterPid, int maxRows, long maxBytes) {
		Sql where = filterWhere.and("r.RES_ID > ?", afterPid);
		List<StoredRow> rows = pageRows.read(where, maxRows, maxBytes);
		long bytes = rows.stream().mapToLong(StoredRow::textLength).sum();
		Map<Long, List<StoredTag>> tags = storedTags.read(
				rows.stream().filter(StoredRow::hasTags).map(StoredRow::pid).toList(), pageRows.isH2());
		List<StoredResource> resources = new ArrayList<>(rows.size());
		for (StoredRow row : rows) {
			resources.add(row.isPlainJson() ? row.toResource(type, tags.getOrDefault(row.pid(), List.of()))
					: readThroughHapi(type, row));
		}
		return new Page(resources, bytes >= maxBytes || rows.size() == maxRows);
	}

	/** The plan the database chooses for a page of a system export of {@code type} (diagnostics, benchmark). */
	public List<String> pagePlan(String type) {
		return pagePlan(type, null);
	}

	/** The plan of a system export's page of a type in a tenant (null: unpartitioned). */
	public List<String> pagePlan(String type, Tenant tenant) {
		Sql where = FilterSql.where(new ExportFilter(type, false, null, null, null, false, null, null, null, null, null,
				false, false, null, null, tenant)).and("r.RES_ID > ?", 0L);
		String sql = pageRows.pageSql(where, 1000, "v.RES_TEXT_VC");
		for (Object arg : where.args()) {
			sql = sql.replaceFirst("\\?", arg instanceof String text ? "'" + text + "'" : arg.toString());
		}
		return jdbc.queryForList("EXPLAIN " + sql, String.class);
	}

	/**
	 * The key below which {@code offset} of the filter's resources lie (keys ascending): a boundary for cutting
	 * a large type into ranges of about equal counts; null when the filter selects no more than {@code offset}.
	 */
	public Long keyAt(ExportFilter filter, long offset) {
		Sql where = FilterSql.where(filter);
		List<Long> keys = jdbc.queryForList("SELECT r.RES_ID FROM HFJ_RESOURCE r WHERE " + where.sql()
				+ " ORDER BY r.RES_ID OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY", Long.class, where.argsAnd(offset - 1));
		return keys.isEmpty() ? null : keys.get(0);
	}

	/** Compressed, externalised or otherwise unusual storage: let HAPI decode it. */
	private StoredResource readThroughHapi(String type, StoredRow row) {
		IBaseResource resource = daoRegistry.getResourceDao(type).readByPid(JpaPid.fromId(row.pid()));
		String json = fhirContext.newJsonParser().encodeResourceToString(resource);
		return new StoredResource(row.pid(), type, row.fhirId(), row.version(), row.updated(), null, List.of(), json, true);
	}
}
