package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.model.primitive.IdDt;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.export.job.StoredResource.StoredTag;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.ResultSetExtractor;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads current resources straight from HAPI's tables (HAPI 8.8 schema): the one place that knows
 * HAPI's storage layout. Pages by resource key (keyset, never OFFSET), bounded by rows and bytes.
 * Resources HAPI stores in any other form than plain JSON text are read through HAPI's DAO.
 * {@code ExportJobTest} checks the result against HAPI's own read.
 * <p>
 * Patient compartments come from HAPI's reference index ({@code HFJ_RES_LINK}): a resource is in a
 * patient's compartment when one of its compartment reference paths points at that patient.
 */
public class StoredResourceReader {

	private static final String GROUP_MEMBERS = "SELECT m.TARGET_RESOURCE_ID FROM HFJ_RES_LINK m"
			+ " WHERE m.SRC_RESOURCE_ID = ? AND m.SRC_PATH = 'Group.member.entity' AND m.TARGET_RESOURCE_TYPE = 'Patient'";

	private static final String TAG_SQL = "SELECT t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE, d.TAG_DISPLAY,"
			+ " d.TAG_VERSION, d.TAG_USER_SELECTED FROM HFJ_RES_TAG t JOIN HFJ_TAG_DEF d ON d.TAG_ID = t.TAG_ID"
			+ " WHERE t.RES_ID IN (%s) ORDER BY t.RES_ID, d.TAG_TYPE, d.TAG_SYSTEM, d.TAG_CODE";

	private static final ObjectMapper MAPPER = new ObjectMapper();
	private static final Pattern PATIENT_REFERENCE = Pattern.compile("(?:^|/)Patient/([^/]+)");

	static final String PROVENANCE = "Provenance";

	/** HAPI 8.8's index on HFJ_RESOURCE (RES_ID, RES_UPDATED, PARTITION_ID). */
	private static final String H2_KEY_INDEX = "IDX_RES_RESID_UPDATED";

	/**
	 * Keys per tag query outside H2. With a page's thousands of keys PostgreSQL's planner scans all of
	 * HFJ_RES_TAG for every page (a cost that grows with the server); with a few hundred it looks them
	 * up in HAPI's (RES_ID, TAG_ID) index.
	 */
	private static final int TAG_KEYS_PER_QUERY = 500;

	private final JdbcTemplate jdbc;
	private volatile Boolean h2;
	private volatile String keyOrderHint;
	private final DaoRegistry daoRegistry;
	private final FhirContext fhirContext;

	public StoredResourceReader(JdbcTemplate jdbc, DaoRegistry daoRegistry, FhirContext fhirContext) {
		this.jdbc = jdbc;
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
		return jdbc.queryForList("SELECT DISTINCT RES_TYPE FROM HFJ_RESOURCE WHERE RES_DELETED_AT IS NULL ORDER BY RES_TYPE",
				String.class);
	}

	/** The key of a current (not deleted) resource. */
	public Optional<Long> findPid(String type, String fhirId) {
		return jdbc.queryForList("SELECT RES_ID FROM HFJ_RESOURCE WHERE RES_TYPE = ? AND FHIR_ID = ? AND RES_DELETED_AT IS NULL",
				Long.class, type, fhirId).stream().findFirst();
	}

	/** Which of {@code patientPids} are members of the group. */
	public List<Long> groupMembersAmong(long groupPid, Collection<Long> patientPids) {
		if (patientPids.isEmpty()) {
			return List.of();
		}
		List<Object> args = new ArrayList<>(List.of(groupPid));
		args.addAll(patientPids);
		return jdbc.queryForList(GROUP_MEMBERS + " AND m.TARGET_RESOURCE_ID IN (" + placeholders(patientPids.size()) + ")",
				Long.class, args.toArray());
	}

	/** How many resources the filter selects now. */
	public long count(ExportFilter filter) {
		Sql where = filter.deleted() ? deletedWhere(filter) : where(filter);
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE r WHERE " + where.sql(), Long.class,
				where.args().toArray());
		return count == null ? 0 : count;
	}

	/**
	 * The next resources the filter selects after key {@code afterPid}: at most {@code maxRows}, and
	 * no more once {@code maxBytes} of stored text were read (at least one row, however large).
	 */
	public Page readPage(ExportFilter filter, long afterPid, int maxRows, long maxBytes) {
		return filter.deleted() ? readDeletedPage(filter, afterPid, maxRows) : readResourcePage(filter, afterPid, maxRows, maxBytes);
	}

	/**
	 * Like {@link #readPage}, limited to the block of one patient: the patient itself (for type
	 * Patient), or the resources in that patient's compartment through {@code filter.compartmentPaths()}.
	 * Looks the block up from the reference index by the patient's key, so a block costs in proportion
	 * to its own size, not to the size of the type.
	 */
	public Page readBlockPage(ExportFilter filter, long patientPid, long afterPid, int maxRows, long maxBytes) {
		Sql where = where(filter);
		if (filter.type().equals("Patient")) {
			where = where.and("r.RES_ID = ?", patientPid);
		} else {
			List<Object> args = new ArrayList<>(List.of(patientPid));
			args.addAll(filter.compartmentPaths());
			where = where.and("r.RES_ID IN (SELECT l.SRC_RESOURCE_ID FROM HFJ_RES_LINK l WHERE l.TARGET_RESOURCE_ID = ?"
					+ " AND l.TARGET_RESOURCE_TYPE = 'Patient' AND l.SRC_PATH IN ("
					+ placeholders(filter.compartmentPaths().size()) + "))", args.toArray());
		}
		return readResourcePage(filter.type(), where, afterPid, maxRows, maxBytes);
	}

	private Page readResourcePage(ExportFilter filter, long afterPid, int maxRows, long maxBytes) {
		return readResourcePage(filter.type(), where(filter), afterPid, maxRows, maxBytes);
	}

	private Page readResourcePage(String type, Sql filterWhere, long afterPid, int maxRows, long maxBytes) {
		Sql where = filterWhere.and("r.RES_ID > ?", afterPid);
		List<Row> rows = isH2() ? readRowsOnH2(where, maxRows, maxBytes)
				: readSortedRows(where, maxRows, maxBytes, "v.RES_TEXT_VC");
		long bytes = rows.stream().mapToLong(Row::textLength).sum();
		Map<Long, List<StoredTag>> tags = readTags(rows.stream().filter(r -> r.hasTags).map(r -> r.pid).toList());
		List<StoredResource> resources = new ArrayList<>(rows.size());
		for (Row row : rows) {
			resources.add(row.isPlainJson() ? row.toResource(type, tags.getOrDefault(row.pid, List.of()))
					: readThroughHapi(type, row));
		}
		return new Page(resources, bytes >= maxBytes || rows.size() == maxRows);
	}

	/** The page's rows, sorted by the database, {@code text} selected as RES_TEXT_VC. */
	private List<Row> readSortedRows(Sql where, int maxRows, long maxBytes, String text) {
		return Objects.requireNonNull(jdbc.query(con -> prepare(con.prepareStatement(
						pageSql(where, maxRows, "r.FHIR_ID, r.RES_VER, r.HAS_TAGS, v.RES_UPDATED, v.RES_ENCODING, "
								+ text + ", v.SOURCE_URI, v.REQUEST_ID")), where.args(), maxRows),
				(ResultSetExtractor<List<Row>>) rs -> rowsInKeyOrder(rs, maxBytes)), "A sorted page came out of key order");
	}

	/**
	 * On H2: first the page's keys and text lengths (H2 knows a CLOB's length without reading it), to
	 * find the rows within {@code maxBytes}; then those rows, with the text cast to VARCHAR. H2 gathers
	 * a result before handing out its first row, and copies every CLOB in it on the way (a fifth of an
	 * H2 export's time); a VARCHAR is not copied. H2's lazy query execution would avoid the copies too,
	 * but corrupts results now and then (H2 issue #4142: "Chunk ... not found" under concurrent writes).
	 */
	private List<Row> readRowsOnH2(Sql where, int maxRows, long maxBytes) {
		List<long[]> lengths = jdbc.query(con -> prepare(con.prepareStatement(
						pageSql(where, maxRows, "LENGTH(v.RES_TEXT_VC) AS TEXT_LENGTH")), where.args(), maxRows),
				(rs, i) -> new long[] {rs.getLong(1), rs.getLong(2)});
		if (lengths.isEmpty()) {
			return List.of();
		}
		int count = 0;
		long bytes = 0;
		while (count < lengths.size() && bytes < maxBytes) {
			bytes += lengths.get(count++)[1];
		}
		Sql prefix = where.and("r.RES_ID <= ?", lengths.get(count - 1)[0]);
		return readSortedRows(prefix, count, Long.MAX_VALUE, "CAST(v.RES_TEXT_VC AS VARCHAR) AS RES_TEXT_VC");
	}

	/**
	 * The rows until {@code maxBytes} of stored text were read (at least one): the rows after that
	 * bound (large attachments, say) are never fetched, so the page must be a prefix of the keys in
	 * order. Null as soon as a row comes out of key order.
	 */
	private static List<Row> rowsInKeyOrder(ResultSet rs, long maxBytes) throws SQLException {
		List<Row> rows = new ArrayList<>();
		long bytes = 0;
		while (bytes < maxBytes && rs.next()) {
			Row row = Row.of(rs);
			if (!rows.isEmpty() && row.pid <= rows.get(rows.size() - 1).pid) {
				return null;
			}
			rows.add(row);
			bytes += row.textLength();
		}
		return rows;
	}

	/**
	 * The page query: first the page's keys from {@code HFJ_RESOURCE} in key order (a derived table,
	 * so no planner can join {@code HFJ_RES_VER} first and sort the whole join, as H2's did), then
	 * their current versions' text by (RES_ID, RES_VER). On H2 the key scan is also held to an index
	 * in key order ({@link #keyOrderHint}): H2 otherwise takes the type index, ordered by update time,
	 * and sorts all of a type's remaining rows for every page (quadratic in the type's size).
	 *
	 * @param columns what is selected after r.RES_ID
	 */
	private String pageSql(Sql where, int maxRows, String columns) {
		return "SELECT r.RES_ID, " + columns
				+ " FROM (SELECT r.RES_ID, r.FHIR_ID, r.RES_VER, r.HAS_TAGS FROM HFJ_RESOURCE r" + keyOrderHint()
				+ " WHERE " + where.sql() + " ORDER BY r.RES_ID FETCH FIRST " + maxRows + " ROWS ONLY) r"
				+ " JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER ORDER BY r.RES_ID";
	}

	/** The plan the database chooses for a page of a system export of {@code type} (diagnostics, benchmark). */
	public List<String> pagePlan(String type) {
		Sql where = where(new ExportFilter(type, false, null, null, null, false, null, null, null, null, null, false,
				false)).and("r.RES_ID > ?", 0L);
		String sql = pageSql(where, 1000, "v.RES_TEXT_VC");
		for (Object arg : where.args()) {
			sql = sql.replaceFirst("\\?", arg instanceof String text ? "'" + text + "'" : arg.toString());
		}
		return jdbc.queryForList("EXPLAIN " + sql, String.class);
	}

	/**
	 * On H2, the index the page's key scan must use: ours on (RES_TYPE, RES_ID) when it exists (see
	 * {@link TypeKeyIndex}), else HAPI's that starts with RES_ID. Other databases choose well alone.
	 * Decided once: on H2 an index made later is used from the next start.
	 */
	private String keyOrderHint() {
		String hint = keyOrderHint;
		if (hint == null) {
			String index = !isH2() ? null : h2IndexExists(TypeKeyIndex.NAME) ? TypeKeyIndex.NAME
					: h2IndexExists(H2_KEY_INDEX) ? H2_KEY_INDEX : null;
			hint = index == null ? "" : " USE INDEX (" + index + ")";
			keyOrderHint = hint;
		}
		return hint;
	}

	private boolean isH2() {
		Boolean isH2 = h2;
		if (isH2 == null) {
			isH2 = jdbc.execute((ConnectionCallback<Boolean>) connection ->
					connection.getMetaData().getDatabaseProductName().equals("H2"));
			h2 = isH2;
		}
		return isH2;
	}

	private boolean h2IndexExists(String name) {
		return jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'HFJ_RESOURCE'"
				+ " AND INDEX_NAME = ?", Integer.class, name) > 0;
	}

	/**
	 * Deletions: one transaction Bundle with a DELETE entry per deleted resource. At Patient and Group
	 * level only the deletions of the exported compartments: HAPI drops a deleted resource's
	 * references from its index, so they are read from the version before the deletion.
	 */
	private Page readDeletedPage(ExportFilter filter, long afterPid, int maxRows) {
		Sql where = deletedWhere(filter).and("r.RES_ID > ?", afterPid);
		String sql = "SELECT r.RES_ID, r.RES_TYPE, r.FHIR_ID, r.RES_VER, r.RES_UPDATED, v.RES_ENCODING, v.RES_TEXT_VC"
				+ " FROM HFJ_RESOURCE r LEFT JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER - 1"
				+ " WHERE " + where.sql() + " ORDER BY r.RES_ID FETCH FIRST " + maxRows + " ROWS ONLY";
		List<DeletedRow> rows = jdbc.query(con -> prepare(con.prepareStatement(sql), where.args(), maxRows),
				(rs, i) -> new DeletedRow(rs.getLong(1), rs.getString(2),
						rs.getString(3) == null ? Long.toString(rs.getLong(1)) : rs.getString(3), rs.getLong(4),
						new Date(rs.getTimestamp(5).getTime()), rs.getString(6), rs.getString(7)));
		DeletedCompartments compartments = filter.compartment() ? deletedCompartments(filter) : null;
		List<StoredResource> bundles = new ArrayList<>();
		for (DeletedRow row : rows) {
			if (compartments != null && !compartments.contains(row, filter.compartmentPaths())) {
				continue;
			}
			ObjectNode bundle = MAPPER.createObjectNode().put("resourceType", "Bundle").put("type", "transaction");
			bundle.putArray("entry").addObject().putObject("request").put("method", "DELETE")
					.put("url", row.type() + "/" + row.fhirId());
			bundles.add(new StoredResource(row.pid(), "Bundle", row.fhirId(), row.version(), row.deleted(), null,
					List.of(), bundle.toString(), true));
		}
		return new Page(bundles, rows.size() == maxRows, rows.isEmpty() ? afterPid : rows.get(rows.size() - 1).pid());
	}

	private record DeletedRow(long pid, String type, String fhirId, long version, Date deleted, String encoding,
			String previousText) {}

	/** The patients whose deletions are exported: their keys and ids, or null for every patient. */
	private DeletedCompartments deletedCompartments(ExportFilter filter) {
		Sql members = members(filter);
		if (members == null) {
			return new DeletedCompartments(null, null);
		}
		List<Long> pids = new ArrayList<>();
		Set<String> ids = new HashSet<>();
		jdbc.query("SELECT RES_ID, FHIR_ID FROM HFJ_RESOURCE WHERE RES_ID IN (" + members.sql() + ")", rs -> {
			pids.add(rs.getLong(1));
			ids.add(rs.getString(2) == null ? Long.toString(rs.getLong(1)) : rs.getString(2));
		}, members.args().toArray());
		return new DeletedCompartments(Set.copyOf(pids), ids);
	}

	/** Whether a deleted resource was in the compartment of an exported patient (null sets: of any patient). */
	private final class DeletedCompartments {

		private final Set<Long> patientPids;
		private final Set<String> patientIds;

		DeletedCompartments(Set<Long> patientPids, Set<String> patientIds) {
			this.patientPids = patientPids;
			this.patientIds = patientIds;
		}

		boolean contains(DeletedRow row, List<String> paths) {
			if (row.type().equals("Patient")) {
				return patientPids == null || patientPids.contains(row.pid());
			}
			JsonNode previous = previousVersion(row);
			if (previous == null) {
				return false;
			}
			List<String> references = new ArrayList<>();
			for (String path : paths) {
				// "Encounter.subject.where(resolve() is Patient)": the Patient test is the reference check below.
				String elements = path.replace(".where(resolve() is Patient)", "");
				if (elements.startsWith(row.type() + ".") && !elements.contains("(")) {
					collectReferences(previous, elements.substring(row.type().length() + 1).split("\\."), 0, references);
				}
			}
			return references.stream().map(StoredResourceReader::patientIdOf).anyMatch(id -> id != null
					&& (patientIds == null || patientIds.contains(id)));
		}

		private JsonNode previousVersion(DeletedRow row) {
			try {
				if ("JSON".equals(row.encoding()) && row.previousText() != null) {
					return MAPPER.readTree(row.previousText());
				}
				if (row.version() < 2) {
					return null;
				}
				IBaseResource resource = daoRegistry.getResourceDao(row.type()).read(
						new IdDt(row.type(), row.fhirId(), Long.toString(row.version() - 1)), new SystemRequestDetails());
				return MAPPER.readTree(fhirContext.newJsonParser().encodeResourceToString(resource));
			} catch (JsonProcessingException e) {
				throw new IllegalStateException("Unreadable stored version of " + row.type() + "/" + row.fhirId(), e);
			}
		}
	}

	private static void collectReferences(JsonNode node, String[] steps, int step, List<String> references) {
		if (node == null || node.isNull() || node.isMissingNode()) {
			return;
		}
		if (node.isArray()) {
			node.forEach(item -> collectReferences(item, steps, step, references));
		} else if (step == steps.length) {
			if (node.hasNonNull("reference")) {
				references.add(node.get("reference").asText());
			}
		} else {
			collectReferences(node.get(steps[step]), steps, step + 1, references);
		}
	}

	/** The id of a Patient reference ({@code Patient/1}, absolute, or versioned), else null. */
	static String patientIdOf(String reference) {
		Matcher matcher = PATIENT_REFERENCE.matcher(reference);
		return matcher.find() ? matcher.group(1) : null;
	}

	/**
	 * The key below which {@code offset} of the filter's resources lie (keys ascending): a boundary for cutting
	 * a large type into ranges of about equal counts; null when the filter selects no more than {@code offset}.
	 */
	public Long keyAt(ExportFilter filter, long offset) {
		Sql where = where(filter);
		List<Long> keys = jdbc.queryForList("SELECT r.RES_ID FROM HFJ_RESOURCE r WHERE " + where.sql()
				+ " ORDER BY r.RES_ID OFFSET ? ROWS FETCH NEXT 1 ROWS ONLY", Long.class,
				append(where.args(), offset - 1));
		return keys.isEmpty() ? null : keys.get(0);
	}

	private static Object[] append(List<Object> args, Object last) {
		List<Object> all = new ArrayList<>(args);
		all.add(last);
		return all.toArray();
	}

	/** The filter's conditions, within its key range when it has one. */
	private static Sql where(ExportFilter filter) {
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
		Sql where = new Sql("r.RES_TYPE = ? AND r.RES_DELETED_AT IS NULL", filter.type());
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
		if (filter.type().equals(PROVENANCE)) {
			// Targets an exported patient, or a resource of their compartments.
			Sql target = patientOrInCompartment("t.TARGET_RESOURCE_ID", "t.TARGET_RESOURCE_TYPE",
					filter.compartmentPaths(), members);
			return where.and("EXISTS (SELECT 1 FROM HFJ_RES_LINK t WHERE t.SRC_RESOURCE_ID = r.RES_ID"
					+ " AND t.SRC_PATH = 'Provenance.target' AND " + target.sql() + ")", target.args().toArray());
		}
		Sql inCompartment = inCompartment("r.RES_ID", filter.compartmentPaths(), members);
		return where.and(inCompartment.sql(), inCompartment.args().toArray());
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
	private static Sql members(ExportFilter filter) {
		if (!filter.patientPids().isEmpty()) {
			return new Sql(placeholders(filter.patientPids().size()), filter.patientPids().toArray());
		}
		if (filter.groupPid() != null) {
			return new Sql(GROUP_MEMBERS, filter.groupPid());
		}
		return null;
	}

	private static Sql deletedWhere(ExportFilter filter) {
		Sql where = new Sql("r.RES_DELETED_AT IS NOT NULL");
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

	private Map<Long, List<StoredTag>> readTags(Collection<Long> pids) {
		if (pids.isEmpty()) {
			return Map.of();
		}
		Map<Long, List<StoredTag>> tags = new HashMap<>();
		List<Long> keys = List.copyOf(pids);
		int perQuery = isH2() ? keys.size() : TAG_KEYS_PER_QUERY;
		for (int from = 0; from < keys.size(); from += perQuery) {
			// The keys as literals, not parameters: H2 then tests each row against a hash set, where a
			// list of 1,000 parameters is compared one by one for every row (a tenth of an H2 export).
			String literals = keys.subList(from, Math.min(keys.size(), from + perQuery)).stream()
					.map(String::valueOf).collect(Collectors.joining(","));
			jdbc.query(String.format(TAG_SQL, literals), rs -> {
				Object userSelected = rs.getObject(7);
				tags.computeIfAbsent(rs.getLong(1), pid -> new ArrayList<>()).add(new StoredTag(rs.getInt(2),
						rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
						userSelected == null ? null : rs.getBoolean(7)));
			});
		}
		return tags;
	}

	/** Compressed, externalised or otherwise unusual storage: let HAPI decode it. */
	private StoredResource readThroughHapi(String type, Row row) {
		IBaseResource resource = daoRegistry.getResourceDao(type).readByPid(JpaPid.fromId(row.pid));
		String json = fhirContext.newJsonParser().encodeResourceToString(resource);
		return new StoredResource(row.pid, type, row.fhirId, row.version, row.updated, null, List.of(), json, true);
	}

	private static PreparedStatement prepare(PreparedStatement statement, List<Object> args, int maxRows)
			throws SQLException {
		statement.setFetchSize(Math.min(maxRows, 500));
		for (int i = 0; i < args.size(); i++) {
			statement.setObject(i + 1, args.get(i));
		}
		return statement;
	}

	private static String placeholders(int count) {
		return String.join(",", Collections.nCopies(count, "?"));
	}

	/** A WHERE clause and its arguments, in order. */
	private record Sql(String sql, List<Object> args) {
		Sql(String sql, Object... args) {
			this(sql, List.of(args));
		}

		Sql and(String condition, Object... more) {
			List<Object> all = new ArrayList<>(args);
			all.addAll(List.of(more));
			return new Sql(sql + " AND " + condition, all);
		}
	}

	private record Row(long pid, String fhirId, long version, boolean hasTags, Date updated, String encoding,
			String text, String sourceUri, String requestId) {

		static Row of(ResultSet rs) throws SQLException {
			long pid = rs.getLong("RES_ID");
			String fhirId = rs.getString("FHIR_ID");
			return new Row(pid, fhirId == null ? Long.toString(pid) : fhirId, rs.getLong("RES_VER"),
					rs.getBoolean("HAS_TAGS"), new Date(rs.getTimestamp("RES_UPDATED").getTime()),
					rs.getString("RES_ENCODING"), rs.getString("RES_TEXT_VC"), rs.getString("SOURCE_URI"),
					rs.getString("REQUEST_ID"));
		}

		boolean isPlainJson() {
			return "JSON".equals(encoding) && text != null;
		}

		long textLength() {
			return text == null ? 0 : text.length();
		}

		StoredResource toResource(String type, List<StoredTag> tags) {
			return new StoredResource(pid, type, fhirId, version, updated, source(), tags, text, false);
		}

		/** {@code meta.source} as HAPI composes it from the source URI and the request id. */
		private String source() {
			if (sourceUri == null && requestId == null) {
				return null;
			}
			return (sourceUri == null ? "" : sourceUri) + (requestId == null ? "" : "#" + requestId);
		}
	}
}
