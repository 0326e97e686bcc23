package hapibulk.export.job;

import hapibulk.export.job.StoredResource.StoredTag;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Date;
import java.util.List;

/** One row of a page: a current resource's key, version, meta columns and stored text. */
record StoredRow(long pid, String fhirId, long version, boolean hasTags, Date updated, String encoding,
		String text, String sourceUri, String requestId) {

	static StoredRow of(ResultSet rs) throws SQLException {
		long pid = rs.getLong("RES_ID");
		String fhirId = rs.getString("FHIR_ID");
		return new StoredRow(pid, fhirId == null ? Long.toString(pid) : fhirId, rs.getLong("RES_VER"),
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
