package hapibulk.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;

/**
 * A validated export kick-off.
 *
 * @param types        the resource types to export, sorted; empty means every type the server holds
 * @param since        only resources updated after this instant, or null
 * @param outputFormat always {@code application/fhir+ndjson} (its aliases are normalised)
 * @param requestUrl   the kick-off URL, echoed as the manifest's {@code request}
 */
public record ExportRequest(ExportLevel level, List<String> types, Instant since, String outputFormat, String requestUrl) {

	public ExportRequest {
		types = List.copyOf(types);
	}

	/** The request as it is kept in the job table, for audit and for later steps. */
	public String toJson() {
		ObjectNode node = new ObjectMapper().createObjectNode();
		node.put("level", level.name());
		types.forEach(node.putArray("types")::add);
		if (since != null) {
			node.put("since", since.toString());
		}
		node.put("outputFormat", outputFormat);
		node.put("requestUrl", requestUrl);
		return node.toString();
	}
}
