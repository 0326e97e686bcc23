package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The first end-to-end slice, run against any started server: load the Synthea data through the
 * REST API, export the whole system over HTTP, and find every loaded resource exactly once, with
 * the same content (ignoring meta), in a file of its own type.
 */
final class SystemExportScenario {

	private SystemExportScenario() {}

	record Result(String statusUrl, JsonNode manifest, Duration exportTime) {}

	static Result run(FhirHttp server) throws InterruptedException {
		SyntheaDataset dataset = SyntheaDataset.tenPatients();
		dataset.loadInto(server);

		BulkExportClient client = new BulkExportClient(server);
		long start = System.nanoTime();
		String statusUrl = client.kickOff("");
		JsonNode manifest = client.awaitManifest(statusUrl, Duration.ofMinutes(5));
		Duration exportTime = Duration.ofNanos(System.nanoTime() - start);

		assertManifestHoldsExactly(server, manifest, dataset);
		System.out.printf("[hapi-bulk-it] %s: system export of %d resources took %d ms (kick-off to manifest, polls included)%n",
				server.base(), dataset.size(), exportTime.toMillis());
		return new Result(statusUrl, manifest, exportTime);
	}

	/** The manifest of a system export lists every dataset resource exactly once, as loaded. */
	static void assertManifestHoldsExactly(FhirHttp server, JsonNode manifest, SyntheaDataset dataset) {
		assertThat(manifest.get("transactionTime").asText()).isNotBlank();
		assertThat(manifest.get("request").asText()).isEqualTo(server.base() + "/$export");
		assertThat(manifest.get("requiresAccessToken").isBoolean()).isTrue();
		assertThat(manifest.get("error").isArray()).isTrue();
		assertThat(manifest.get("error")).isEmpty();
		manifest.get("output").forEach(output -> assertThat(output.get("url").asText()).startsWith(server.base()));

		Map<String, ObjectNode> exported = BulkExportClient.byId(new BulkExportClient(server).download(manifest));
		// The server's own audit trail (an AuditEvent per kick-off, job, download) is data too; not the dataset's.
		exported.keySet().removeIf(key -> key.startsWith("AuditEvent/"));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(dataset.resources().keySet());
		for (String key : dataset.resources().keySet()) {
			assertThat(exported.get(key)).as(key).isEqualTo(dataset.expected(key));
		}
	}
}
