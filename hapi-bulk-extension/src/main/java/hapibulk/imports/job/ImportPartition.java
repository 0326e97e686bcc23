package hapibulk.imports.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One input of an import, or one part of a large input: a partition of the job.
 *
 * @param index       the input's position in the request, from 1 (names its partition and error file)
 * @param type        the resource type every line must have
 * @param url         where it is read from
 * @param wave        when it runs (see {@link ImportTypeOrder})
 * @param inputSource stored as {@code meta.source} of every resource, or null
 * @param rights      what its lines may do (the kick-off's token's rights on {@code type})
 * @param part        0: the whole input; from 1: the part of it whose lines start in [rangeStart, rangeEnd)
 * @param rangeStart  the first byte of the part (its first line is the first that starts there or after)
 * @param rangeEnd    the byte where the next part begins ({@link Long#MAX_VALUE}: the end of the input)
 */
record ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights,
		int part, long rangeStart, long rangeEnd) {

	/** The whole input. */
	ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights) {
		this(index, type, url, wave, inputSource, rights, 0, 0, Long.MAX_VALUE);
	}

	/** The part of this input whose lines start in [start, end). */
	ImportPartition part(int number, long start, long end) {
		return new ImportPartition(index, type, url, wave, inputSource, rights, number, start, end);
	}

	boolean isPart() {
		return part > 0;
	}

	private static final ObjectMapper MAPPER = BulkJson.MAPPER;

	String name() {
		return "input-" + index + (isPart() ? "." + part : "");
	}

	String errorFileName() {
		return "errors-" + index + (isPart() ? "." + part : "") + ".ndjson";
	}

	ObjectNode toJsonNode() {
		ObjectNode node = MAPPER.createObjectNode().put("index", index).put("type", type).put("url", url)
				.put("wave", wave).put("inputSource", inputSource).put("mayCreate", rights.create())
				.put("mayUpdate", rights.update()).put("part", part).put("rangeStart", rangeStart)
				.put("rangeEnd", rangeEnd);
		if (rights.readable() != null) {
			rights.readable().stream().sorted().forEach(node.putArray("readable")::add);
		}
		return node;
	}

	static ImportPartition fromJsonNode(JsonNode node) {
		return new ImportPartition(node.get("index").asInt(), node.get("type").asText(), node.get("url").asText(),
				node.get("wave").asInt(), node.hasNonNull("inputSource") ? node.get("inputSource").asText() : null,
				// absent in a plan made by an earlier version, which stored every line
				new WriteRights(node.path("mayCreate").asBoolean(true), node.path("mayUpdate").asBoolean(true),
						readable(node.get("readable"))),
				// absent in a plan made before inputs were split: the whole input
				node.path("part").asInt(0), node.path("rangeStart").asLong(0),
				node.path("rangeEnd").asLong(Long.MAX_VALUE));
	}

	/** Absent (a plan of an earlier version, or authorization off): every type. */
	private static Set<String> readable(JsonNode array) {
		if (array == null || !array.isArray()) {
			return null;
		}
		Set<String> types = new TreeSet<>();
		array.forEach(type -> types.add(type.asText()));
		return types;
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
