package hapibulk.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Stream;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;

/** Renders a {@link BulkManifest} as the client-facing manifest (stored as {@link StoredManifestJson}). */
public final class ManifestJson {

	/** The key of our entry in the manifest's {@code extension} object. */
	public static final String FILES_EXTENSION = "fileIntegrity";
	/** The key naming the de-identification profile (and key id) of a de-identified export's files. */
	public static final String DEID_EXTENSION = "deidentification";

	private static final ObjectMapper MAPPER = BulkJson.MAPPER;

	private ManifestJson() {}

	/**
	 * The manifest as the Bulk Data IG defines it, with absolute file URLs under {@code serverBase}.
	 * Each file's size and SHA-256 go in {@code extension}, which the IG leaves to servers, and so does the
	 * de-identification profile of a de-identified export.
	 *
	 * @param nextPageUrl for a page of a partial manifest, the URL of the next page; else null
	 */
	public static String render(BulkManifest manifest, String serverBase, String jobId, String nextPageUrl) {
		ObjectNode root = MAPPER.createObjectNode();
		root.put("transactionTime", manifest.transactionTime().truncatedTo(ChronoUnit.MILLIS).toString());
		root.put("request", manifest.request());
		root.put("requiresAccessToken", manifest.requiresAccessToken());
		if (manifest.outputOrganizedBy() != null) {
			root.put("outputOrganizedBy", manifest.outputOrganizedBy());
		}
		root.set("output", rendered(manifest.output(), serverBase, jobId));
		if (!manifest.deleted().isEmpty()) {
			root.set("deleted", rendered(manifest.deleted(), serverBase, jobId));
		}
		root.set("error", rendered(manifest.error(), serverBase, jobId));
		if (nextPageUrl != null) {
			root.putArray("link").addObject().put("relation", "next").put("url", nextPageUrl);
		}
		ObjectNode extension = root.putObject("extension");
		if (manifest.deidentification() != null) {
			extension.putObject(DEID_EXTENSION).put("profile", manifest.deidentification().profile())
					.put("keyId", manifest.deidentification().keyId());
		}
		ArrayNode files = extension.putArray(FILES_EXTENSION);
		Stream.of(manifest.output(), manifest.deleted(), manifest.error()).flatMap(List::stream)
				.filter(file -> file.file() != null).forEach(file -> {
			ObjectNode entry = files.addObject().put("url", fileUrl(serverBase, jobId, file.file())).put("bytes", file.bytes());
			if (file.sha256() != null) {
				entry.put("sha256", file.sha256());
			}
		});
		return root.toPrettyString();
	}

	public static String fileUrl(String serverBase, String jobId, String file) {
		return serverBase + "/$bulk-file?job=" + jobId + "&file=" + URLEncoder.encode(file, StandardCharsets.UTF_8);
	}

	private static ArrayNode rendered(List<BulkManifest.ManifestFile> files, String serverBase, String jobId) {
		ArrayNode array = MAPPER.createArrayNode();
		for (BulkManifest.ManifestFile file : files) {
			ObjectNode entry = array.addObject();
			if (file.type() != null) {
				entry.put("type", file.type());
			}
			if (file.inputUrl() != null) {
				entry.put("inputUrl", file.inputUrl());
			}
			if (file.file() != null) {
				entry.put("url", fileUrl(serverBase, jobId, file.file()));
			}
			entry.put("count", file.count());
			if (file.continuesIn() != null) {
				entry.put("continuesInFile", fileUrl(serverBase, jobId, file.continuesIn()));
			}
		}
		return array;
	}
}
