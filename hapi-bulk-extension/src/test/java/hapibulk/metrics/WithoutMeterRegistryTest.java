package hapibulk.metrics;

import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A host without a Micrometer registry: jobs run as ever, and no {@code hapi.bulk.*} meter is registered
 * anywhere, not on a registry of ours and not on {@code Metrics.globalRegistry} (where a registry the host
 * added outside Spring would see it).
 */
class WithoutMeterRegistryTest {

	@TempDir
	Path dir;

	/** Stands for any registry on the global composite: whatever is registered there shows up here. */
	private final SimpleMeterRegistry globalChild = new SimpleMeterRegistry();

	@BeforeEach
	void watchGlobalRegistry() {
		Metrics.addRegistry(globalChild);
	}

	@AfterEach
	void stopWatching() {
		Metrics.removeRegistry(globalChild);
		globalChild.close();
	}

	@Test
	void importExportAndRefusals_withoutARegistryBean_registerNoMeterAnywhere() throws Exception {
		// given
		Path inputs = Files.createDirectories(dir.resolve("inputs"));
		Path patients = Files.writeString(inputs.resolve("Patient.ndjson"),
				"{\"resourceType\":\"Patient\",\"id\":\"no-meters-1\",\"active\":true}\n{\"resourceType\":\n");
		new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class, BulkConfiguration.class)
				.withPropertyValues("hapi.bulk.file-directory=" + dir.resolve("files"),
						"hapi.bulk.import.directory=" + inputs, "hapi.bulk.auth.mode=none",
						"hapi.bulk.audit.store-events=false", "hapi.bulk.retry-after=30s")
				.run(context -> {
					assertThat(context).hasNotFailed().doesNotHaveBean(MeterRegistry.class);
					assertThat(context.getBean(BulkMetrics.class).isOn()).isFalse();
					BulkJobTable table = context.getBean(BulkJobTable.class);
					RestfulServerClient client = new RestfulServerClient(context.getBean(RestfulServer.class));

					// when: an import with a bad line, an export polled too soon, both run to the end
					Answer imported = client.post("$import", "{\"inputFormat\":\"application/fhir+ndjson\","
							+ "\"storageDetail\":{\"type\":\"file\"},\"input\":[{\"type\":\"Patient\",\"url\":\""
							+ patients.toUri() + "\"}]}", "Prefer", "respond-async", "Content-Type", "application/json");
					assertThat(imported.status()).as(imported.body()).isEqualTo(202);
					awaitCompleted(table, jobId(imported));
					Answer exported = client.get("$export?_type=Patient", kickOffHeaders());
					assertThat(exported.status()).as(exported.body()).isEqualTo(202);
					client.get("$bulk-status?job=" + jobId(exported));
					client.get("$bulk-status?job=" + jobId(exported));
					awaitCompleted(table, jobId(exported));

					// then: no meter of ours anywhere
					assertThat(bulkMeters(Metrics.globalRegistry.getMeters())).isEmpty();
					assertThat(bulkMeters(globalChild.getMeters())).isEmpty();
					assertThat(bulkMeters(context.getBeansOfType(MeterRegistry.class).values().stream()
							.flatMap(registry -> registry.getMeters().stream()).toList())).isEmpty();
				});
	}

	private static void awaitCompleted(BulkJobTable table, String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
	}

	private static String jobId(Answer kickOff) {
		String location = kickOff.header("Content-Location");
		return location.substring(location.indexOf("job=") + 4);
	}

	private static List<String> bulkMeters(List<Meter> meters) {
		return meters.stream().map(meter -> meter.getId().getName()).filter(name -> name.startsWith("hapi.bulk"))
				.distinct().toList();
	}
}
