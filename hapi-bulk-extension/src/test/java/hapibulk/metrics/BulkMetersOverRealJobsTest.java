package hapibulk.metrics;

import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.job.StatusOptions;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code hapi.bulk.*} meters on a host's registry, read after a real import and a real export of Synthea
 * data through the real RestfulServer: they say what the manifests say, and what is on disk.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class,
		BulkMetersOverRealJobsTest.HostRegistry.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BulkMetersOverRealJobsTest {

	private static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole",
			"Patient", "Device");
	private static final Path files = tempDirectory("hapi-bulk-metrics-files");
	private static final Path inputs = tempDirectory("hapi-bulk-metrics-inputs");

	/** The host's registry: what Actuator would give. */
	@Configuration(proxyBeanMethods = false)
	static class HostRegistry {
		@Bean
		MeterRegistry hostMeterRegistry() {
			return new SimpleMeterRegistry();
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		registry.add("hapi.bulk.import.directory", inputs::toString);
		registry.add("hapi.bulk.auth.mode", () -> "none");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.retry-after", () -> "30s");
		registry.add("hapi.bulk.export.max-running-exports", () -> "1");
		registry.add("hapi.bulk.import.max-running-imports", () -> "1");
	}

	@Autowired
	RestfulServer restfulServer;
	@Autowired
	BulkJobTable table;
	@Autowired
	MeterRegistry registry;

	RestfulServerClient client;

	@BeforeAll
	void client() {
		client = new RestfulServerClient(restfulServer);
	}

	@Test
	@Order(1)
	void kickOffsBeyondTheLimit_andPollsTooSoon_areCountedAsRefused() throws IOException {
		// given: an export and an import that hold the only places (rows no execution runs; the watchdog
		// leaves such rows alone for a minute)
		BulkJob heldExport = holdPlace(BulkJobKind.EXPORT);
		BulkJob heldImport = holdPlace(BulkJobKind.IMPORT);
		Path input = Files.writeString(inputs.resolve("refused.ndjson"), "{\"resourceType\":\"Patient\"}\n");
		try {
			// when
			Answer export = client.get("Patient/$export?_type=Patient", kickOffHeaders());
			Answer imports = client.post("$import", importBody(List.of(Map.entry("Patient",
							input.toUri().toString()))),
					"Prefer", "respond-async", "Content-Type", "application/json");
			Answer firstPoll = client.get("$bulk-status?job=" + heldExport.id());
			Answer secondPoll = client.get("$bulk-status?job=" + heldExport.id());

			// then
			assertThat(export.status()).as(export.body()).isEqualTo(429);
			assertThat(imports.status()).as(imports.body()).isEqualTo(429);
			assertThat(firstPoll.status()).isEqualTo(202);
			assertThat(secondPoll.status()).isEqualTo(429);
			assertThat(count("hapi.bulk.kickoffs", "kind", "export", "level", "patient", "outcome", "refused"))
					.isEqualTo(1);
			assertThat(count("hapi.bulk.kickoffs", "kind", "import", "level", "system", "outcome", "refused"))
					.isEqualTo(1);
			assertThat(count("hapi.bulk.kickoffs", "outcome", "accepted")).isZero();
			assertThat(count("hapi.bulk.status.throttled")).isEqualTo(1);
			assertThat(gauge("hapi.bulk.jobs.active", "kind", "export", "state", "queued")).isEqualTo(1);
			assertThat(gauge("hapi.bulk.jobs.active", "kind", "import", "state", "running")).isZero();
		} finally {
			table.end(heldExport.id(), BulkJobState.CANCELLED);
			table.end(heldImport.id(), BulkJobState.CANCELLED);
		}
	}

	@Test
	@Order(2)
	void importThenExport_countEveryTypeAsTheirManifestsDo_andTheBytesOnDisk() throws IOException {
		// given: Synthea's smaller types, and an Organization input with one line that is not JSON
		List<Map.Entry<String, String>> importInputs = new ArrayList<>();
		for (String type : TYPES) {
			importInputs.add(Map.entry(type, copy(SyntheaData.tenPatients().resolve(type + ".000.ndjson"), type)
					.toUri().toString()));
		}
		Path bad = Files.writeString(inputs.resolve("bad-organizations.ndjson"),
				"{\"resourceType\":\"Organization\",\"id\":\"metrics-org\",\"name\":\"Kept\"}\n{\"resourceType\":\n");
		importInputs.add(Map.entry("Organization", bad.toUri().toString()));

		// when: the import, then the export, both through the server
		Answer importKickOff = client.post("$import", importBody(importInputs), "Prefer", "respond-async",
				"Content-Type", "application/json");
		assertThat(importKickOff.status()).as(importKickOff.body()).isEqualTo(202);
		BulkJob imported = awaitCompleted(jobId(importKickOff));
		Answer exportKickOff = client.get("$export?_type=" + String.join(",", TYPES), kickOffHeaders());
		assertThat(exportKickOff.status()).as(exportKickOff.body()).isEqualTo(202);
		BulkJob exported = awaitCompleted(jobId(exportKickOff));

		// then: kick-offs and ends
		assertThat(count("hapi.bulk.kickoffs", "kind", "import", "level", "system", "outcome", "accepted"))
				.isEqualTo(1);
		assertThat(count("hapi.bulk.kickoffs", "kind", "export", "level", "system", "outcome", "accepted"))
				.isEqualTo(1);
		for (String kind : List.of("import", "export")) {
			assertThat(count("hapi.bulk.jobs.finished", "kind", kind, "level", "system", "state", "completed"))
					.isEqualTo(1);
			assertThat(count("hapi.bulk.jobs.finished", "kind", kind, "state", "failed")).isZero();
			Timer duration = Search.in(registry).name("hapi.bulk.job.duration").tags("kind", kind, "state", "completed")
					.timer();
			assertThat(duration).isNotNull();
			assertThat(duration.count()).isEqualTo(1);
			assertThat(duration.totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isPositive();
		}

		// then: the import's resources and lines per type are its manifest's
		BulkManifest importManifest = StoredManifestJson.read(imported.manifestJson());
		Map<String, Long> stored = perType(importManifest.output());
		assertThat(stored.keySet()).containsExactlyInAnyOrderElementsOf(TYPES);
		assertThat(stored.get("Patient")).isEqualTo(SyntheaData.lines("Patient").size());
		assertThat(stored.get("Organization")).isEqualTo(SyntheaData.lines("Organization").size() + 1);
		assertThat(meteredPerType("hapi.bulk.resources", "kind", "import")).isEqualTo(stored);
		assertThat(meteredPerType("hapi.bulk.import.lines", "outcome", "stored")).isEqualTo(stored);
		assertThat(meteredPerType("hapi.bulk.import.lines", "outcome", "error")).isEqualTo(Map.of("Organization", 1L));
		assertThat(count("hapi.bulk.bytes", "kind", "import", "array", "error"))
				.isEqualTo(sizeOfFiles(imported.id())).isPositive();

		// then: the export's resources per type are its manifest's, its bytes the sizes of its files
		BulkManifest exportManifest = StoredManifestJson.read(exported.manifestJson());
		Map<String, Long> written = perType(exportManifest.output());
		assertThat(written.get("Patient")).isEqualTo(SyntheaData.lines("Patient").size());
		assertThat(written.keySet()).containsExactlyInAnyOrderElementsOf(TYPES);
		assertThat(meteredPerType("hapi.bulk.resources", "kind", "export")).isEqualTo(written);
		assertThat(count("hapi.bulk.bytes", "kind", "export", "array", "output"))
				.isEqualTo(sizeOfFiles(exported.id())).isPositive();
		Map<String, Long> bytesPerType = exportManifest.output().stream().collect(Collectors.groupingBy(
				BulkManifest.ManifestFile::type, TreeMap::new, Collectors.summingLong(BulkManifest.ManifestFile::bytes)));
		assertThat(meteredPerType("hapi.bulk.bytes", "kind", "export")).isEqualTo(bytesPerType);

		// then: the steps' chunks were timed, the gauges see no job left and the files held
		for (String step : List.of("bulkImportInputStep", "bulkExportTypeStep", "bulkExportManifestStep")) {
			Timer chunks = Search.in(registry).name("hapi.bulk.chunk.duration").tags("step", step, "outcome", "committed")
					.timer();
			assertThat(chunks).as(step).isNotNull();
			assertThat(chunks.count()).as(step).isPositive();
		}
		assertThat(gauge("hapi.bulk.jobs.active", "kind", "export", "state", "running")).isZero();
		assertThat(gauge("hapi.bulk.jobs.active", "kind", "import", "state", "queued")).isZero();
		assertThat(gauge("hapi.bulk.storage.held")).isEqualTo(sizeOfFiles(imported.id()) + sizeOfFiles(exported.id()));
		assertThat(gauge("hapi.bulk.storage.free")).isPositive();

		// then: no tag carries a job id
		assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTags())
				.noneMatch(tag -> tag.getValue().contains(imported.id()) || tag.getValue().contains(exported.id())));
	}

	@Test
	@Order(3)
	void simultaneousImportKickOffs_forTheLastPlace_admitExactlyOne() throws Exception {
		// given: six clients kick off an import at the same moment, with one place free (max-running-imports 1)
		Path input = Files.writeString(inputs.resolve("race.ndjson"),
				"{\"resourceType\":\"Patient\",\"id\":\"race\"}\n");
		String body = importBody(List.of(Map.entry("Patient", input.toUri().toString())));
		CyclicBarrier start = new CyclicBarrier(6);
		ExecutorService clients = Executors.newFixedThreadPool(6);
		List<Answer> answers = new ArrayList<>();
		try {
			List<Future<Answer>> kickOffs = new ArrayList<>();
			for (int i = 0; i < 6; i++) {
				kickOffs.add(clients.submit(() -> {
					start.await();
					return client.post("$import", body, "Prefer", "respond-async", "Content-Type", "application/json");
				}));
			}
			for (Future<Answer> kickOff : kickOffs) {
				answers.add(kickOff.get(2, TimeUnit.MINUTES));
			}
		} finally {
			clients.shutdownNow();
		}

		// then: one took the place, the others were told to come back
		assertThat(answers).filteredOn(answer -> answer.status() == 202).hasSize(1);
		assertThat(answers).filteredOn(answer -> answer.status() == 429).hasSize(5)
				.allSatisfy(answer -> assertThat(answer.body()).contains("BULK-0220"));
		answers.stream().filter(answer -> answer.status() == 202).forEach(answer -> awaitCompleted(jobId(answer)));
	}

	private BulkJob holdPlace(BulkJobKind kind) {
		Instant now = Instant.now();
		BulkJob job = new BulkJob("held" + kind.name().toLowerCase() + now.toEpochMilli(), kind, BulkJobState.ACCEPTED,
				null, "http://localhost/fhir/$export", "{\"level\":\"SYSTEM\"}", now, now, now.plusSeconds(3600), null,
				0, 0, null, null, StatusOptions.DEFAULT);
		table.insert(job);
		return job;
	}

	private BulkJob awaitCompleted(String id) {
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		// The meters are counted after the row is completed, when the execution ends.
		await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50)).until(() -> count(
				"hapi.bulk.jobs.finished", "kind", job.kind().name().toLowerCase(), "state", "completed") > 0);
		return job;
	}

	private double count(String name, String... tags) {
		return Search.in(registry).name(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
	}

	private double gauge(String name, String... tags) {
		return Search.in(registry).name(name).tags(tags).gauge().value();
	}

	private Map<String, Long> meteredPerType(String name, String... tags) {
		Map<String, Long> perType = new TreeMap<>();
		Search.in(registry).name(name).tags(tags).counters().forEach(counter -> perType.merge(
				counter.getId().getTag("type"), (long) counter.count(), Long::sum));
		return perType;
	}

	private static Map<String, Long> perType(List<BulkManifest.ManifestFile> entries) {
		return entries.stream().collect(Collectors.groupingBy(BulkManifest.ManifestFile::type, TreeMap::new,
				Collectors.summingLong(BulkManifest.ManifestFile::count)));
	}

	private static long sizeOfFiles(String jobId) throws IOException {
		try (Stream<Path> paths = Files.walk(files.resolve(jobId))) {
			long total = 0;
			for (Path path : paths.filter(Files::isRegularFile).toList()) {
				total += Files.size(path);
			}
			return total;
		}
	}

	private static String jobId(Answer kickOff) {
		String location = kickOff.header("Content-Location");
		return location.substring(location.indexOf("job=") + 4);
	}

	private static String importBody(List<Map.Entry<String, String>> inputs) {
		return "{\"inputFormat\":\"application/fhir+ndjson\",\"inputSource\":\"https://ehr.example.org/metrics\","
				+ "\"storageDetail\":{\"type\":\"file\"},\"input\":[" + inputs.stream()
						.map(input -> "{\"type\":\"" + input.getKey() + "\",\"url\":\"" + input.getValue() + "\"}")
						.collect(Collectors.joining(",")) + "]}";
	}

	private static Path copy(Path source, String type) throws IOException {
		return Files.copy(source, inputs.resolve(type + ".ndjson"));
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
