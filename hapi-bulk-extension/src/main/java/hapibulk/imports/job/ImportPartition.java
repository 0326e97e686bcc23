package hapibulk.imports.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One input of an import: a partition of the job.
 *
 * @param index       the input's position in the request, from 1 (names its partition and error file)
 * @param type        the resource type every line must have
 * @param url         where it is read from
 * @param wave        when it runs (see {@link ImportTypeOrder})
 * @param inputSource stored as {@code meta.source} of every resource, or null
 * @param rights      what its lines may do (the kick-off's token's rights on {@code type})
 */
record ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights) {

	private static final ObjectMapper MAPPER = new ObjectMapper();

	String name() {
		return "input-" + index;
	}

	String errorFileName() {
		return "errors-" + index + ".ndjson";
	}

	ObjectNode toJsonNode() {
		return MAPPER.createObjectNode().put("index", index).put("type", type).put("url", url).put("wave", wave)
				.put("inputSource", inputSource).put("mayCreate", rights.create()).put("mayUpdate", rights.update());
	}

	static ImportPartition fromJsonNode(JsonNode node) {
		return new ImportPartition(node.get("index").asInt(), node.get("type").asText(), node.get("url").asText(),
				node.get("wave").asInt(), node.hasNonNull("inputSource") ? node.get("inputSource").asText() : null,
				// absent in a plan made by an earlier version, which stored every line
				new WriteRights(node.path("mayCreate").asBoolean(true), node.path("mayUpdate").asBoolean(true)));
	}

	static String listToJson(List<ImportPartition> partitions) {
		ArrayNode array = MAPPER.createArrayNode();
		partitions.forEach(p -> array.add(p.toJsonNode()));
		return array.toString();
	}

	static List<ImportPartition> listFromJson(String json) {
		try {
			List<ImportPartition> partitions = new ArrayList<>();
			MAPPER.readTree(json).forEach(node -> partitions.add(fromJsonNode(node)));
			return partitions;
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable import plan", e);
		}
	}

	String toJson() {
		return toJsonNode().toString();
	}

	static ImportPartition fromJson(String json) {
		try {
			return fromJsonNode(MAPPER.readTree(json));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable import partition", e);
		}
	}
}
