package hapibulk.metrics;

import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.StatusOptions;
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
import java.time.Instant;
import java.util.List;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A host without a Micrometer registry: jobs run as ever, and no {@code hapi.bulk.*} meter is registered
 * anywhere, not on a registry of ours and not on {@code Metrics.globalRegistry} (where a registry the host
 * added outside Spring would see it), also after the refusals the meters would count (a kick-off beyond the limit,
 * a poll too soon), which are asserted to have happened.
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
						"hapi.bulk.audit.store-events=false", "hapi.bulk.retry-after=30s",
						"hapi.bulk.export.max-running-exports=1")
				.run(context -> {
					assertThat(context).hasNotFailed().doesNotHaveBean(MeterRegistry.class);
					assertThat(context.getBean(BulkMetrics.class).isOn()).isFalse();
					BulkJobTable table = context.getBean(BulkJobTable.class);
					RestfulServerClient client = new RestfulServerClient(context.getBean(RestfulServer.class));

					// when: an import with a bad line and an export, both run to the end
					Answer imported = client.post("$import", "{\"inputFormat\":\"application/fhir+ndjson\","
							+ "\"storageDetail\":{\"type\":\"file\"},\"input\":[{\"type\":\"Patient\",\"url\":\""
							+ patients.toUri() + "\"}]}", "Prefer", "respond-async", "Content-Type", "application/json");
					assertThat(imported.status()).as(imported.body()).isEqualTo(202);
					awaitCompleted(table, jobId(imported));
					Answer exported = client.get("$export?_type=Patient", kickOffHeaders());
					assertThat(exported.status()).as(exported.body()).isEqualTo(202);
					awaitCompleted(table, jobId(exported));
					// and the refusals, made certain by a row that holds the only export place (no execution runs
					// it; the watchdog leaves such a row alone for a minute): a kick-off beyond the limit, a poll
					// too soon
					BulkJob held = holdExportPlace(table);
					Answer refusedKickOff;
					Answer firstPoll;
					Answer tooSoon;
					try {
						refusedKickOff = client.get("$export?_type=Patient", kickOffHeaders());
						firstPoll = client.get("$bulk-status?job=" + held.id());
						tooSoon = client.get("$bulk-status?job=" + held.id());
					} finally {
						table.end(held.id(), BulkJobState.CANCELLED);
					}
					assertThat(refusedKickOff.status()).as(refusedKickOff.body()).isEqualTo(429);
					assertThat(refusedKickOff.body()).contains("BULK-0117");
					assertThat(firstPoll.status()).as(firstPoll.body()).isEqualTo(202);
					assertThat(tooSoon.status()).as(tooSoon.body()).isEqualTo(429);
					assertThat(tooSoon.body()).contains("BULK-0204");

					// then: no meter of ours anywhere
					assertThat(bulkMeters(Metrics.globalRegistry.getMeters())).isEmpty();
					assertThat(bulkMeters(globalChild.getMeters())).isEmpty();
					assertThat(bulkMeters(context.getBeansOfType(MeterRegistry.class).values().stream()
							.flatMap(registry -> registry.getMeters().stream()).toList())).isEmpty();
				});
	}

	private static BulkJob holdExportPlace(BulkJobTable table) {
		Instant now = Instant.now();
		BulkJob job = new BulkJob("heldexport" + now.toEpochMilli(), BulkJobKind.EXPORT, BulkJobState.ACCEPTED, null,
				"http://localhost/fhir/$export", "{\"level\":\"SYSTEM\"}", now, now, now.plusSeconds(3600), null, 0, 0,
				null, null, StatusOptions.DEFAULT);
		table.insert(job);
		return job;
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
