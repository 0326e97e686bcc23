package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A bulk import client: kick off with a Parameters body, poll the shared status URL until done. */
final class BulkImportClient {

	static final String SOURCE = "https://ehr.example.org/extract-2026-11";

	private final FhirHttp server;

	BulkImportClient(FhirHttp server) {
		this.server = server;
	}

	/** A HAPI/IBM/Microsoft-style Parameters body; inputs as type → url, in the given order. */
	static String parameters(List<Map.Entry<String, String>> inputs) {
		ObjectNode body = FhirHttp.JSON.createObjectNode().put("resourceType", "Parameters");
		ArrayNode parameters = body.putArray("parameter");
		parameters.addObject().put("name", "inputFormat").put("valueCode", "application/fhir+ndjson");
		parameters.addObject().put("name", "inputSource").put("valueUri", SOURCE);
		ObjectNode storage = parameters.addObject().put("name", "storageDetail");
		storage.putArray("part").addObject().put("name", "type").put("valueCode", "https");
		parameters.addObject().put("name", "mode").put("valueString", "IncrementalLoad");
		for (Map.Entry<String, String> input : inputs) {
			ArrayNode parts = parameters.addObject().put("name", "input").putArray("part");
			parts.addObject().put("name", "type").put("valueCode", input.getKey());
			parts.addObject().put("name", "url").put("valueUri", input.getValue());
		}
		return body.toString();
	}

	HttpResponse<String> post(String body) {
		return server.post("$import", body, "Prefer", "respond-async", "Accept", "application/fhir+json",
				"Content-Type", "application/fhir+json");
	}

	/** Kicks off and returns the absolute status URL. */
	String kickOff(String body) {
		HttpResponse<String> response = post(body);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		String statusUrl = response.headers().firstValue("Content-Location").orElseThrow();
		assertThat(statusUrl).startsWith(server.base() + "/$bulk-status?job=");
		return statusUrl;
	}

	/** Polls as told until the import is done; returns its manifest. */
	JsonNode awaitManifest(String statusUrl, Duration timeout) throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> response = server.get(statusUrl, "Accept", "application/json");
			if (response.statusCode() == 200) {
				return FhirHttp.json(response);
			}
			assertThat(response.statusCode()).as(response.body()).isIn(202, 429);
			if (response.statusCode() == 202) {
				assertThat(response.headers().firstValue("X-Progress")).isPresent();
			}
			long retryAfter = Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow());
			Thread.sleep(Math.min(retryAfter, 2) * 1000);
		}
		throw new AssertionError("No import manifest within " + timeout);
	}
}
