package hapibulk.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** Stores a {@link BulkManifest} as JSON and renders it as the client-facing manifest. */
public final class ManifestJson {

	private static final ObjectMapper MAPPER = new ObjectMapper();

	private ManifestJson() {}

	public static String store(BulkManifest manifest) {
		ObjectNode root = MAPPER.createObjectNode();
		root.put("transactionTime", manifest.transactionTime().toEpochMilli());
		root.put("request", manifest.request());
		root.put("requiresAccessToken", manifest.requiresAccessToken());
		root.set("output", files(manifest.output()));
		root.set("error", files(manifest.error()));
		return root.toString();
	}

	public static BulkManifest read(String json) {
		try {
			ObjectNode root = (ObjectNode) MAPPER.readTree(json);
			return new BulkManifest(
					Instant.ofEpochMilli(root.get("transactionTime").asLong()),
					root.get("request").asText(),
					root.get("requiresAccessToken").asBoolean(),
					files((ArrayNode) root.get("output")),
					files((ArrayNode) root.get("error")));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable stored manifest", e);
		}
	}

	/**
	 * The manifest as the Bulk Data IG defines it, with absolute file URLs under {@code serverBase}.
	 * Byte sizes go in {@code extension}, which the IG leaves to servers.
	 */
	public static String render(BulkManifest manifest, String serverBase, String jobId) {
		ObjectNode root = MAPPER.createObjectNode();
		root.put("transactionTime", manifest.transactionTime().truncatedTo(ChronoUnit.MILLIS).toString());
		root.put("request", manifest.request());
		root.put("requiresAccessToken", manifest.requiresAccessToken());
		ArrayNode sizes = MAPPER.createArrayNode();
		root.set("output", renderFiles(manifest.output(), serverBase, jobId, sizes));
		root.set("error", renderFiles(manifest.error(), serverBase, jobId, sizes));
		root.putObject("extension").set("fileSizes", sizes);
		return root.toPrettyString();
	}

	public static String fileUrl(String serverBase, String jobId, String file) {
		return serverBase + "/$bulk-file?job=" + jobId + "&file=" + URLEncoder.encode(file, StandardCharsets.UTF_8);
	}

	private static ArrayNode renderFiles(List<BulkManifest.ManifestFile> files, String serverBase, String jobId,
			ArrayNode sizes) {
		ArrayNode array = MAPPER.createArrayNode();
		for (BulkManifest.ManifestFile file : files) {
			String url = fileUrl(serverBase, jobId, file.file());
			array.addObject().put("type", file.type()).put("url", url).put("count", file.count());
			sizes.addObject().put("url", url).put("bytes", file.bytes());
		}
		return array;
	}

	private static ArrayNode files(List<BulkManifest.ManifestFile> files) {
		ArrayNode array = MAPPER.createArrayNode();
		files.forEach(f -> array.addObject().put("type", f.type()).put("file", f.file()).put("count", f.count())
				.put("bytes", f.bytes()));
		return array;
	}

	private static List<BulkManifest.ManifestFile> files(ArrayNode array) {
		return java.util.stream.StreamSupport.stream(array.spliterator(), false)
				.map(f -> new BulkManifest.ManifestFile(f.get("type").asText(), f.get("file").asText(),
						f.get("count").asLong(), f.get("bytes").asLong()))
				.toList();
	}
}
