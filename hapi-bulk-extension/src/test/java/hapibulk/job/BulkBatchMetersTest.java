package hapibulk.job;

import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.testsupport.TestHapiServerConfig;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.configuration.annotation.BatchObservabilityBeanPostProcessor;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A host's meter registry (Actuator's Prometheus one, which Boot adds to {@code Metrics.globalRegistry})
 * never sees our Spring Batch's meters: where the host has {@code spring.batch.*} meters of its own,
 * Prometheus would refuse ours with a WARN ("registration has failed").
 */
class BulkBatchMetersTest {

	@TempDir
	Path dir;

	private final PrometheusMeterRegistry hostRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

	@BeforeEach
	void hostRegistryIsGlobal() {
		Metrics.addRegistry(hostRegistry);
	}

	@AfterEach
	void removeHostRegistry() {
		Metrics.removeRegistry(hostRegistry);
		hostRegistry.close();
	}

	@Test
	void exportAndImport_underAHostPrometheusRegistry_recordNoSpringBatchMeterThere() throws Exception {
		exportAndImport_recordNoSpringBatchMeterOnTheHost(new ApplicationContextRunner());
	}

	/**
	 * Actuator's BatchObservationAutoConfiguration adds this post-processor, which gives every Job bean the host's
	 * ObservationRegistry: observed, our jobs would record {@code spring.batch.job} on the host's registry.
	 */
	@Test
	void exportAndImport_underActuatorsBatchObservability_recordNoSpringBatchMeterThere() throws Exception {
		ObservationRegistry observations = ObservationRegistry.create();
		observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(hostRegistry));
		exportAndImport_recordNoSpringBatchMeterOnTheHost(new ApplicationContextRunner()
				.withBean(ObservationRegistry.class, () -> observations)
				.withBean(BatchObservabilityBeanPostProcessor.class));
	}

	private void exportAndImport_recordNoSpringBatchMeterOnTheHost(ApplicationContextRunner host) throws Exception {
		// given
		Path inputs = Files.createDirectories(dir.resolve("inputs"));
		Path patients = Files.writeString(inputs.resolve("Patient.ndjson"),
				"{\"resourceType\":\"Patient\",\"id\":\"meters-1\",\"active\":true}\n");
		host
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class, BulkConfiguration.class)
				.withPropertyValues("hapi.bulk.file-directory=" + dir.resolve("files"),
						"hapi.bulk.server-base-url=http://localhost/fhir",
						"hapi.bulk.import.directory=" + inputs)
				.run(context -> {
					assertThat(context).hasNotFailed();
					BulkJobTable table = context.getBean(BulkJobTable.class);

					// when: an import, then an export
					String importId = context.getBean(ImportJobService.class).submit(new ImportRequest(
							"https://ehr.example.org/meters", "file", null,
							List.of(new ImportRequest.Input("Patient", patients.toUri().toString())), "u"), null).id();
					awaitCompleted(table, importId);
					String exportId = context.getBean(ExportJobService.class).submit(ExportRequest.of(ExportLevel.SYSTEM, "u")
							.withTypes(List.of("Patient")), false).id();
					awaitCompleted(table, exportId);

					// then: Spring Batch recorded on our private registry, and nothing on the host's
					assertThat(springBatchMeters(context.getBean(BulkBatchEngine.class).meterRegistry().getMeters()))
							.contains("spring.batch.job.launch.count");
					assertThat(springBatchMeters(hostRegistry.getMeters())).isEmpty();
					assertThat(springBatchMeters(Metrics.globalRegistry.getMeters())).isEmpty();
				});
	}

	private static void awaitCompleted(BulkJobTable table, String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
	}

	private static List<String> springBatchMeters(List<Meter> meters) {
		return meters.stream().map(meter -> meter.getId().getName()).filter(name -> name.startsWith("spring.batch"))
				.distinct().toList();
	}
}
