package hapibulk.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Stores a {@link BulkManifest} as JSON in the job row and reads it back. */
public final class StoredManifestJson {

	private static final ObjectMapper MAPPER = BulkJson.MAPPER;

	private StoredManifestJson() {}

	public static String store(BulkManifest manifest) {
		ObjectNode root = MAPPER.createObjectNode();
		root.put("transactionTime", manifest.transactionTime().toEpochMilli());
		root.put("request", manifest.request());
		root.put("requiresAccessToken", manifest.requiresAccessToken());
		root.set("output", stored(manifest.output()));
		root.set("deleted", stored(manifest.deleted()));
		root.set("error", stored(manifest.error()));
		root.put("outputOrganizedBy", manifest.outputOrganizedBy());
		if (manifest.deidentification() != null) {
			root.putObject("deidentification").put("profile", manifest.deidentification().profile())
					.put("keyId", manifest.deidentification().keyId());
		}
		return root.toString();
	}

	public static BulkManifest read(String json) {
		try {
			JsonNode root = MAPPER.readTree(json);
			return new BulkManifest(
					Instant.ofEpochMilli(root.get("transactionTime").asLong()),
					root.get("request").asText(),
					root.get("requiresAccessToken").asBoolean(),
					files(root.get("output")),
					files(root.get("deleted")),
					files(root.get("error")),
					root.hasNonNull("outputOrganizedBy") ? root.get("outputOrganizedBy").asText() : null,
					root.hasNonNull("deidentification") ? new BulkManifest.Deidentification(
							text(root.get("deidentification"), "profile"), text(root.get("deidentification"), "keyId"))
							: null);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable stored manifest", e);
		}
	}

	private static ArrayNode stored(List<BulkManifest.ManifestFile> files) {
		ArrayNode array = MAPPER.createArrayNode();
		files.forEach(f -> array.addObject().put("type", f.type()).put("file", f.file()).put("count", f.count())
				.put("bytes", f.bytes()).put("sha256", f.sha256()).put("continuesIn", f.continuesIn())
				.put("inputUrl", f.inputUrl()));
		return array;
	}

	private static String text(JsonNode node, String field) {
		return node.hasNonNull(field) ? node.get(field).asText() : null;
	}

	private static List<BulkManifest.ManifestFile> files(JsonNode array) {
		List<BulkManifest.ManifestFile> files = new ArrayList<>();
		if (array != null) {
			array.forEach(f -> files.add(new BulkManifest.ManifestFile(text(f, "type"), text(f, "file"),
					f.get("count").asLong(), f.get("bytes").asLong(), text(f, "sha256"), text(f, "continuesIn"),
					text(f, "inputUrl"))));
		}
		return files;
	}
}
