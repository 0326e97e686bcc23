package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** A Bulk Data client: kick off, poll as told, download. */
public final class BulkExportClient {

	private final FhirHttp server;

	public BulkExportClient(FhirHttp server) {
		this.server = server;
	}

	/** Kicks off and returns the absolute status URL. */
	public String kickOff(String query) {
		HttpResponse<String> response = server.get("$export" + query,
				"Prefer", "respond-async", "Accept", "application/fhir+json");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		String statusUrl = response.headers().firstValue("Content-Location").orElseThrow();
		assertThat(statusUrl).startsWith(server.base());
		return statusUrl;
	}

	/** Polls as told (Retry-After, also after a 429) until the manifest arrives; returns it. */
	public JsonNode awaitManifest(String statusUrl, Duration timeout) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> response = server.get(statusUrl, "Accept", "application/json");
			if (response.statusCode() == 200) {
				assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
				assertThat(response.headers().firstValue("Expires")).isPresent();
				return FhirHttp.json(response);
			}
			assertThat(response.statusCode()).as(response.body()).isIn(202, 429);
			if (response.statusCode() == 202) {
				assertThat(response.headers().firstValue("X-Progress")).isPresent();
			}
			long retryAfter = Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow());
			Thread.sleep(Math.min(retryAfter, 2) * 1000);
		}
		throw new AssertionError("No manifest within " + timeout);
	}

	/** Downloads every output file; returns the lines of each type, in file order. */
	public Map<String, List<String>> download(JsonNode manifest) {
		Map<String, List<String>> byType = new TreeMap<>();
		for (JsonNode output : manifest.get("output")) {
			HttpResponse<byte[]> file = server.getBytes(output.get("url").asText(), "Accept", "application/fhir+ndjson");
			assertThat(file.statusCode()).isEqualTo(200);
			assertThat(file.headers().firstValue("Content-Type").orElse("")).startsWith("application/fhir+ndjson");
			List<String> lines = new String(file.body(), StandardCharsets.UTF_8).lines().toList();
			assertThat((long) lines.size()).as(output.toString()).isEqualTo(output.get("count").asLong());
			byType.computeIfAbsent(output.get("type").asText(), t -> new ArrayList<>()).addAll(lines);
		}
		return byType;
	}

	/** The parsed resources of a download, without meta, by "Type/id"; checks each sits in its type's file once. */
	public static Map<String, ObjectNode> byId(Map<String, List<String>> linesByType) {
		Map<String, ObjectNode> byId = new TreeMap<>();
		linesByType.forEach((type, lines) -> {
			for (String line : lines) {
				ObjectNode resource = (ObjectNode) FhirHttp.parse(line);
				assertThat(resource.get("resourceType").asText()).isEqualTo(type);
				assertThat(resource.at("/meta/versionId").isMissingNode()).isFalse();
				resource.remove("meta");
				String key = type + "/" + resource.get("id").asText();
				assertThat(byId.put(key, resource)).as("exported twice: " + key).isNull();
			}
		});
		return byId;
	}

}
