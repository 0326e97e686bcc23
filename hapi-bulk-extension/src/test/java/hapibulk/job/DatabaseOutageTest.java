package hapibulk.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.support.ServiceUnavailableException;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TcpProxy;
import hapibulk.testsupport.TestDatabase;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL going away under running jobs: the server (HAPI and the extension) talks to the database
 * through a {@link TcpProxy} that the test cuts and restores. Checks and progress are read past the proxy.
 * PostgreSQL only ({@code -Ppostgres}): an in-memory H2 has no line to cut (the watchdog's part is covered
 * on H2 by {@code recovery.JobWatchdogTest}).
 */
@EnabledIfSystemProperty(named = "hapibulk.test.db", matches = "postgres")
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, DatabaseOutageTest.ThroughProxy.class,
		BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageTest {

	/** The smaller Synthea types, in dependency order: enough chunks to cut into, few enough for a slow machine. */
	private static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole",
			"Patient", "Device", "AllergyIntolerance", "Immunization");
	private static final Duration SHORT_OUTAGE = Duration.ofSeconds(5);
	/** Longer than the retries below allow: 0.25 + 0.5 + 1 + 5 x 2 s of backoff, plus up to 2 s per refused reconnect. */
	private static final Duration LONG_OUTAGE = Duration.ofSeconds(45);

	static final Path files = temp("hapi-bulk-outage-files");
	static final Path inputs = temp("hapi-bulk-outage-inputs");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.import.directory", inputs::toString);
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.import.chunk-size", () -> "10");
		registry.add("hapi.bulk.export.page-size", () -> "5");
		registry.add("hapi.bulk.recovery.retry-attempts", () -> "8");
		registry.add("hapi.bulk.recovery.retry-backoff", () -> "250ms");
		registry.add("hapi.bulk.recovery.retry-max-backoff", () -> "2s");
		registry.add("hapi.bulk.recovery.watchdog-interval", () -> "2s");
		registry.add("hapi.bulk.recovery.max-restarts", () -> "2");
		registry.add("hapi.bulk.recovery.status-timeout", () -> "1s");
	}

	/** The server's DataSource goes through the proxy; the test's own checks use the direct one. */
	@Configuration(proxyBeanMethods = false)
	static class ThroughProxy {
		@Bean(destroyMethod = "close")
		TcpProxy databaseProxy(TestDatabase database) throws IOException {
			Matcher hostPort = Pattern.compile("//([^:/]+):(\\d+)/").matcher(database.url());
			assertThat(hostPort.find()).as(database.url()).isTrue();
			return new TcpProxy(hostPort.group(1), Integer.parseInt(hostPort.group(2)));
		}

		@Bean(destroyMethod = "close")
		@Primary
		DataSource proxiedDataSource(TestDatabase database, TcpProxy proxy) {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(database.url().replaceFirst("//([^:/]+):(\\d+)/", "//127.0.0.1:" + proxy.port() + "/"));
			config.setUsername(database.user());
			config.setPassword("");
			config.setMaximumPoolSize(10);
			config.setConnectionTimeout(2000);
			config.addDataSourceProperty("socketTimeout", "30");
			return new HikariDataSource(config);
		}
	}

	@Autowired
	TcpProxy proxy;
	@Autowired
	@Qualifier("dataSource")
	DataSource direct;
	@Autowired
	ImportJobService importJobService;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	BulkJobService jobService;
	@Autowired
	BulkBatchEngine engine;

	BulkJobTable table;
	JdbcTemplate jdbc;
	int expectedResources;

	@BeforeAll
	void directAccess() {
		jdbc = new JdbcTemplate(direct);
		table = new BulkJobTable(jdbc);
	}

	@Test
	@Order(1)
	void import_whenTheDatabaseIsCutMidway_retriesItsChunks_andCompletesOnceWithoutARestart() throws Exception {
		// given: 374 Synthea resources of 8 types, in 10-line chunks
		List<ImportRequest.Input> inputList = new ArrayList<>();
		for (String type : TYPES) {
			Path copy = inputs.resolve(type + ".ndjson");
			Files.copy(SyntheaData.tenPatients().resolve(type + ".000.ndjson"), copy);
			inputList.add(new ImportRequest.Input(type, copy.toUri().toString()));
			expectedResources += SyntheaData.lines(type).size();
		}
		String id = importJobService.submit(new ImportRequest("https://ehr.example.org/x", "file", null, inputList,
				"http://localhost/fhir/$import"), null).id();

		// when: the line is cut once the job has stored something, and restored after a while
		long recovered = cutMidway(id, SHORT_OUTAGE);

		// then: one execution completed it, every line stored once, no slot held
		BulkJob job = awaitEnd(id);
		System.out.printf("[hapi-bulk-test] import: %s outage; completed %d ms after the line was restored%n",
				SHORT_OUTAGE, System.currentTimeMillis() - recovered);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.error()).isEmpty();
		assertThat(manifest.output().stream().mapToLong(BulkManifest.ManifestFile::count).sum())
				.isEqualTo(expectedResources);
		assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE WHERE RES_DELETED_AT IS NULL", Long.class))
				.isEqualTo(expectedResources);
		assertRetriedWithoutRestart(job);
		assertThat(table.countActive(BulkJobKind.IMPORT)).isZero();
	}

	@Test
	@Order(2)
	void export_whenTheDatabaseIsCutMidway_retriesItsChunks_andCompletesWithEveryResourceOnce() throws Exception {
		// given
		String id = exportJobService.submit(ExportRequest.system(List.of(), null, "http://localhost/fhir/$export"),
				false).id();

		// when
		long recovered = cutMidway(id, SHORT_OUTAGE);

		// then
		BulkJob job = awaitEnd(id);
		System.out.printf("[hapi-bulk-test] export: %s outage; completed %d ms after the line was restored%n",
				SHORT_OUTAGE, System.currentTimeMillis() - recovered);
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertEveryResourceOnce(id);
		// Its chunks were retried in the same execution: a rollback that failed with the connection no longer
		// leaves its step UNKNOWN for the watchdog to restart.
		assertRetriedWithoutRestart(job);
		assertThat(table.countActive(BulkJobKind.EXPORT)).isZero();
	}

	@Test
	@Order(3)
	void export_whenTheOutageOutlastsTheRetries_failsRestartably_withAClearReason_andGivesItsSlotBack() throws Exception {
		// given
		String id = exportJobService.submit(ExportRequest.system(List.of(), null, "http://localhost/fhir/$export"),
				false).id();
		long firstExecution = awaitProgress(id).executionId();

		// when: cut for longer than the chunk retries last
		long recovered = cutMidway(id, LONG_OUTAGE);

		// then: the job is not left RUNNING on a dead execution, nor UNKNOWN: it failed with the code that says why,
		// Spring Batch holds it FAILED (restartable), and its export slot is free
		BulkJob job = awaitEnd(id);
		System.out.printf("[hapi-bulk-test] export: %s outage; ended %s %d ms after the line was restored%n",
				LONG_OUTAGE, job.state(), System.currentTimeMillis() - recovered);
		assertThat(job.state()).isEqualTo(BulkJobState.FAILED);
		assertThat(job.errorMessage()).startsWith("BULK-0415").doesNotContain("SQL").doesNotContain("jdbc");
		// Spring Batch stores the execution's end after the job listeners ran (and the table's row is written by one),
		// so the execution may still read STARTED for a moment after the row says FAILED.
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
				assertThat(engine.jobExplorer().getJobExecution(firstExecution).getStatus()).isEqualTo(BatchStatus.FAILED));
		assertThat(table.countActive(BulkJobKind.EXPORT)).isZero();
	}

	/** Cuts the line once the job has progressed, checks that status lookups answer 503 fast, restores it. */
	private long cutMidway(String id, Duration outage) throws InterruptedException {
		awaitProgress(id);
		proxy.cut();
		long cutAt = System.currentTimeMillis();
		try {
			Thread.sleep(1000);
			long asked = System.nanoTime();
			assertThatThrownBy(() -> jobService.findVisible(id)).isInstanceOf(ServiceUnavailableException.class)
					.hasMessageNotContaining("SQL").hasMessageNotContaining("jdbc");
			assertThat(Duration.ofNanos(System.nanoTime() - asked)).isLessThan(Duration.ofSeconds(3));
			Thread.sleep(Math.max(0, outage.toMillis() - (System.currentTimeMillis() - cutAt)));
		} finally {
			proxy.restore();
		}
		return System.currentTimeMillis();
	}

	private BulkJob awaitProgress(String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
				.until(() -> table.find(id).orElseThrow().progressDone() > 0
						|| !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as("the job must still run when the line is cut").isEqualTo(BulkJobState.RUNNING);
		return job;
	}

	private BulkJob awaitEnd(String id) {
		await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(200))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		return table.find(id).orElseThrow();
	}

	/** The job kept its first execution, whose steps rolled back at least one chunk and went on. */
	private void assertRetriedWithoutRestart(BulkJob job) {
		JobExecution execution = engine.jobExplorer().getJobExecution(job.executionId());
		assertThat(engine.jobExplorer().getJobExecutions(execution.getJobInstance())).hasSize(1);
		assertRetried(job);
	}

	/** Steps of the job rolled back at least one chunk and went on. */
	private void assertRetried(BulkJob job) {
		JobExecution execution = engine.jobExplorer().getJobExecution(job.executionId());
		List<JobExecution> executions = engine.jobExplorer().getJobExecutions(execution.getJobInstance());
		long rollbacks = executions.stream().flatMap(each -> each.getStepExecutions().stream())
				.filter(step -> !step.getStepName().endsWith("PartitionStep"))
				.mapToLong(StepExecution::getRollbackCount).sum();
		System.out.printf("[hapi-bulk-test] %s: %d chunks rolled back and retried, %d executions%n", job.kind(),
				rollbacks, executions.size());
		assertThat(rollbacks).isPositive();
	}

	private void assertEveryResourceOnce(String id) throws IOException {
		ObjectMapper mapper = new ObjectMapper();
		Set<String> seen = new HashSet<>();
		List<String> duplicates = new ArrayList<>();
		try (Stream<Path> paths = Files.list(files.resolve(id))) {
			for (Path file : paths.filter(path -> path.toString().endsWith(".ndjson")).toList()) {
				for (String line : Files.readAllLines(file)) {
					JsonNode resource = mapper.readTree(line);
					String key = resource.get("resourceType").asText() + "/" + resource.get("id").asText();
					if (!seen.add(key)) {
						duplicates.add(key);
					}
				}
			}
		}
		assertThat(duplicates).isEmpty();
		assertThat(seen).hasSize(expectedResources);
	}

	private static Path temp(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
