package hapibulk.imports;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;

import java.util.ArrayList;
import java.util.List;

/**
 * A validated import kick-off, whatever body shape it came in (HAPI's, IBM's or Microsoft's
 * {@code Parameters}, or the SMART manifest-style JSON).
 *
 * @param inputSource  the data's origin; stored as each resource's {@code meta.source} when given
 * @param storageType  {@code storageDetail} type as sent ({@code https}, {@code file}, ...), or null
 * @param mode         Microsoft's {@code mode} as sent, or null (both modes behave alike here)
 * @param inputs       the files, in the order the client listed them
 * @param requestUrl   the kick-off URL, echoed as the manifest's {@code request}
 * @param permissions  what the kick-off's access token allows the lines to do
 */
public record ImportRequest(String inputSource, String storageType, String mode, List<Input> inputs,
		String requestUrl, ImportPermissions permissions) {

	public static final String NDJSON = "application/fhir+ndjson";
	private static final ObjectMapper MAPPER = BulkJson.MAPPER;

	public ImportRequest {
		inputs = List.copyOf(inputs);
		permissions = permissions == null ? ImportPermissions.ALL : permissions;
	}

	/** A request whose lines may create and update every type (authorization off). */
	public ImportRequest(String inputSource, String storageType, String mode, List<Input> inputs, String requestUrl) {
		this(inputSource, storageType, mode, inputs, requestUrl, ImportPermissions.ALL);
	}

	public ImportRequest withPermissions(ImportPermissions granted) {
		return new ImportRequest(inputSource, storageType, mode, inputs, requestUrl, granted);
	}

	/** One input file: every line a resource of {@code type}. */
	public record Input(String type, String url) {}

	public String toJson() {
		ObjectNode node = MAPPER.createObjectNode();
		node.put("inputSource", inputSource).put("storageType", storageType).put("mode", mode)
				.put("requestUrl", requestUrl);
		inputs.forEach(input -> node.withArray("inputs").addObject().put("type", input.type()).put("url", input.url()));
		permissions.writeTo(node);
		return node.toString();
	}

	public static ImportRequest fromJson(String json) {
		try {
			JsonNode node = MAPPER.readTree(json);
			List<Input> inputs = new ArrayList<>();
			node.path("inputs").forEach(i -> inputs.add(new Input(i.get("type").asText(), i.get("url").asText())));
			return new ImportRequest(text(node, "inputSource"), text(node, "storageType"), text(node, "mode"), inputs,
					text(node, "requestUrl"), ImportPermissions.readFrom(node));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable stored import request", e);
		}
	}

	private static String text(JsonNode node, String field) {
		return node.hasNonNull(field) ? node.get(field).asText() : null;
	}
}
