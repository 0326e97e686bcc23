package hapibulk.export.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.export.job.StoredResourceReader.Page;
import hapibulk.support.BulkJson;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static hapibulk.export.job.Sql.prepare;

/**
 * Deletions: one transaction Bundle with a DELETE entry per deleted resource. At Patient and Group
 * level only the deletions of the exported compartments: HAPI drops a deleted resource's
 * references from its index, so they are read from the version before the deletion.
 */
class DeletedPages {

	static final ObjectMapper MAPPER = BulkJson.MAPPER;

	private final JdbcTemplate jdbc;
	private final DaoRegistry daoRegistry;
	private final FhirContext fhirContext;

	DeletedPages(JdbcTemplate jdbc, DaoRegistry daoRegistry, FhirContext fhirContext) {
		this.jdbc = jdbc;
		this.daoRegistry = daoRegistry;
		this.fhirContext = fhirContext;
	}

	/** A deleted resource, with the stored text of its version before the deletion. */
	record DeletedRow(long pid, String type, String fhirId, long version, Date deleted, String encoding,
			String previousText) {}

	Page read(ExportFilter filter, long afterPid, int maxRows) {
		Sql where = FilterSql.deletedWhere(filter).and("r.RES_ID > ?", afterPid);
		String sql = "SELECT r.RES_ID, r.RES_TYPE, r.FHIR_ID, r.RES_VER, r.RES_UPDATED, v.RES_ENCODING, v.RES_TEXT_VC"
				+ " FROM HFJ_RESOURCE r LEFT JOIN HFJ_RES_VER v ON v.RES_ID = r.RES_ID AND v.RES_VER = r.RES_VER - 1"
				+ " WHERE " + where.sql() + " ORDER BY r.RES_ID FETCH FIRST " + maxRows + " ROWS ONLY";
		List<DeletedRow> rows = jdbc.query(con -> prepare(con.prepareStatement(sql), where.args(), maxRows),
				(rs, i) -> new DeletedRow(rs.getLong(1), rs.getString(2),
						rs.getString(3) == null ? Long.toString(rs.getLong(1)) : rs.getString(3), rs.getLong(4),
						new Date(rs.getTimestamp(5).getTime()), rs.getString(6), rs.getString(7)));
		DeletedCompartments compartments = filter.compartment() ? compartments(filter) : null;
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

	/** The patients whose deletions are exported: their keys and ids, or null for every patient. */
	private DeletedCompartments compartments(ExportFilter filter) {
		Sql members = FilterSql.members(filter);
		if (members == null) {
			return new DeletedCompartments(null, null, daoRegistry, fhirContext, filter.tenant());
		}
		List<Long> pids = new ArrayList<>();
		Set<String> ids = new HashSet<>();
		jdbc.query("SELECT RES_ID, FHIR_ID FROM HFJ_RESOURCE WHERE RES_ID IN (" + members.sql() + ")", rs -> {
			pids.add(rs.getLong(1));
			ids.add(rs.getString(2) == null ? Long.toString(rs.getLong(1)) : rs.getString(2));
		}, members.args().toArray());
		return new DeletedCompartments(Set.copyOf(pids), ids, daoRegistry, fhirContext, filter.tenant());
	}
}
