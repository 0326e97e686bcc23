package hapibulk.job.recovery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.StatusOptions;
import hapibulk.job.StoredManifestJson;
import hapibulk.job.recovery.JobWatchdog;
import hapibulk.support.ServiceUnavailableException;
import hapibulk.support.TooManyRequestsException;
import hapibulk.testsupport.FaultyFileStore;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.JobParametersBuilder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * Jobs that lose their execution or their disk, over a real HAPI server and database (H2, or PostgreSQL
 * with -Ppostgres): the watchdog reconciles job rows with Spring Batch, a failed job frees its files, and
 * kick-offs that cannot fit are refused. Every export here names its own client: the file quota is per client.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class, JobWatchdogTest.Faults.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobWatchdogTest {

	static final Path files = temp("hapi-bulk-watchdog-files");
	/** Set (true) where the full-disk test must run (CI runs as root): then a tmpfs it cannot mount fails it. */
	static final String REQUIRE_TMPFS = "hapibulk.test.require-tmpfs";

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.export.page-size", () -> "5");
		// The test runs the watchdog itself.
		registry.add("hapi.bulk.recovery.watchdog-interval", () -> "0s");
		registry.add("hapi.bulk.recovery.max-restarts", () -> "3");
		registry.add("hapi.bulk.storage.min-free-space", () -> "16KB");
		registry.add("hapi.bulk.storage.max-bytes-per-client", () -> "1KB");
	}

	@Configuration(proxyBeanMethods = false)
	static class Faults {
		@Bean
		@Primary
		FaultyFileStore faultyFileStore() {
			return new FaultyFileStore(files);
		}
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	JobWatchdog watchdog;
	@Autowired
	BulkJobTable table;
	@Autowired
	BulkBatchEngine engine;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	FaultyFileStore fileStore;

	int patients;

	@BeforeAll
	void loadPatients() {
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		loader.load(SyntheaData.lines("Organization"));
		loader.load(SyntheaData.lines("Practitioner"));
		patients = loader.load(SyntheaData.lines("Patient"));
	}

	@AfterEach
	void healTheDisk() {
		fileStore.reset(files);
	}

	@Test
	void rowLeftRunningWithoutAnExecution_isFailedByTheWatchdog_andGivesItsSlotBack() {
		// given: the process died between inserting the row and launching its job
		BulkJob orphan = row(BulkJobState.RUNNING, Instant.now().minus(Duration.ofMinutes(10)));
		int activeBefore = table.countActive(BulkJobKind.EXPORT);

		// when
		JobWatchdog.Pass pass = watchdog.reconcile();

		// then
		assertThat(pass.failed()).isEqualTo(1);
		BulkJob job = table.find(orphan.id()).orElseThrow();
		assertThat(job.state()).isEqualTo(BulkJobState.FAILED);
		assertThat(job.errorMessage()).contains("kick it off again");
		assertThat(table.countActive(BulkJobKind.EXPORT)).isEqualTo(activeBefore - 1);
	}

	@Test
	void freshAcceptedRowWithoutAnExecution_isLeftAlone_asItsLaunchMayBeUnderWay() {
		// given
		BulkJob launching = row(BulkJobState.ACCEPTED, Instant.now());

		// when
		watchdog.reconcile();

		// then
		assertThat(table.find(launching.id()).orElseThrow().state()).isEqualTo(BulkJobState.ACCEPTED);
		table.end(launching.id(), BulkJobState.DELETED);
	}

	@Test
	void jobWhoseExecutionIsUnknown_isRestartedByTheWatchdog_andCompletes() {
		// given: the database went away as the execution ended: Spring Batch recorded UNKNOWN, the row says RUNNING
		BulkJob lost = row(BulkJobState.RUNNING, Instant.now());
		JobExecution unknown = execution(lost.id(), BatchStatus.UNKNOWN);
		table.setExecution(lost.id(), unknown.getId());

		// when
		JobWatchdog.Pass pass = watchdog.reconcile();

		// then
		assertThat(pass.restarted()).isEqualTo(1);
		BulkJob job = awaitEnd(lost.id());
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		assertThat(job.executionId()).isNotEqualTo(unknown.getId());
		assertThat(engine.jobExplorer().getJobExecution(unknown.getId()).getStatus()).isEqualTo(BatchStatus.FAILED);
		assertThat(StoredManifestJson.read(job.manifestJson()).output()).singleElement()
				.satisfies(file -> assertThat(file.count()).isEqualTo(patients));
	}

	@Test
	void jobLostMoreOftenThanMaxRestarts_isFailed_andLeftRestartableInSpringBatch() {
		// given: three executions already failed, the fourth was lost
		BulkJob row = row(BulkJobState.RUNNING, Instant.now());
		for (int i = 0; i < 3; i++) {
			execution(row.id(), BatchStatus.FAILED);
		}
		JobExecution lost = execution(row.id(), BatchStatus.STARTED);
		table.setExecution(row.id(), lost.getId());

		// when
		JobWatchdog.Pass pass = watchdog.reconcile();

		// then: failed with a clear reason; Spring Batch says FAILED (restartable), never UNKNOWN or STARTED
		assertThat(pass.failed()).isEqualTo(1);
		BulkJob job = table.find(row.id()).orElseThrow();
		assertThat(job.state()).isEqualTo(BulkJobState.FAILED);
		assertThat(job.errorMessage()).contains("interrupted 4 times");
		assertThat(engine.jobExplorer().getJobExecution(lost.getId()).getStatus()).isEqualTo(BatchStatus.FAILED);
	}

	@Test
	void exportThatFillsTheDisk_failsClearly_freesItsFilesAtOnce_andTheNextExportCompletes() throws IOException {
		// given: the disk is full after 3 kB
		fileStore.failAfter(3_000);

		// when
		BulkJob failed = awaitEnd(export("disk-client"));

		// then: failed, with nothing left behind
		assertThat(failed.state()).isEqualTo(BulkJobState.FAILED);
		assertThat(failed.errorMessage()).contains("No space left on device");
		assertThat(filesOf(failed.id())).isEmpty();

		// and when the disk has room again, the next export completes
		fileStore.reset(files);
		BulkJob next = awaitEnd(export("disk-client-2"));
		assertThat(next.state()).as(next.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
	}

	@Test
	void kickOff_whenTheFileDirectoryIsShortOfSpace_gets503WithRetryAfter_andNoRow() {
		// given
		fileStore.usableSpace(8 * 1024L);
		int activeBefore = table.countActive(BulkJobKind.EXPORT);

		// when / then
		assertThatThrownBy(() -> export("short-client"))
				.isInstanceOfSatisfying(ServiceUnavailableException.class, e -> {
					assertThat(e.getStatusCode()).isEqualTo(503);
					assertThat(e.getResponseHeaders()).containsKey("Retry-After");
					assertThat(e.getMessage()).contains("BULK-0413").doesNotContain(files.toString());
				});
		assertThat(table.countActive(BulkJobKind.EXPORT)).isEqualTo(activeBefore);
	}

	@Test
	void kickOff_beyondTheClientsFileQuota_gets429_whileOtherClientsStillExport() {
		// given: the client holds more than its 1 KB
		BulkJob first = awaitEnd(export("quota-client"));
		assertThat(first.state()).isEqualTo(BulkJobState.COMPLETED);

		// when / then
		assertThatThrownBy(() -> export("quota-client"))
				.isInstanceOfSatisfying(TooManyRequestsException.class, e -> {
					assertThat(e.getStatusCode()).isEqualTo(429);
					assertThat(e.getMessage()).contains("BULK-0414", "DELETE");
				});
		assertThat(awaitEnd(export("other-client")).state()).isEqualTo(BulkJobState.COMPLETED);
	}

	@Test
	void exportOntoARealFullFilesystem_failsAndFreesIt_soTheNextExportFits() throws Exception {
		// given: a 3 MB tmpfs as the file directory (needs root: skipped elsewhere, saying why; CI requires it)
		Path small = Files.createTempDirectory("hapi-bulk-tmpfs");
		String notMounted = mountFailure("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small.toString());
		if (notMounted != null) {
			String why = "No real full-disk test: cannot mount a 3 MB tmpfs on " + small + " (" + notMounted
					+ "); it needs root, or CAP_SYS_ADMIN in a container";
			System.out.println("JobWatchdogTest: " + why);
			Files.deleteIfExists(small);
			if (Boolean.getBoolean(REQUIRE_TMPFS)) {
				fail(why + " (-D" + REQUIRE_TMPFS + "=true)");
			}
			Assumptions.assumeTrue(false, why);
		}
		try {
			fileStore.useDirectory(small);
			// fill it but for 40 kB (over the 16 kB minimum), as other data on a shared disk would
			Path filler = small.resolve("filler");
			Files.write(filler, new byte[3 * 1024 * 1024 - 40 * 1024]);
			long freeBefore = Files.getFileStore(small).getUsableSpace();

			// when: an export needs more than that (the Patients alone are 44 kB)
			BulkJob failed = awaitEnd(export("tmpfs-client"));

			// then: it failed and gave the space back at once
			assertThat(failed.state()).isEqualTo(BulkJobState.FAILED);
			assertThat(Files.exists(small.resolve(failed.id()))).isFalse();
			assertThat(Files.getFileStore(small).getUsableSpace()).isEqualTo(freeBefore);

			// and when the operator frees space, the next export fits
			Files.delete(filler);
			BulkJob next = awaitEnd(export("tmpfs-client-2"));
			assertThat(next.state()).as(next.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		} finally {
			fileStore.reset(files);
			run("umount", small.toString());
		}
	}

	private String export(String owner) {
		return exportJobService.submit(ExportRequest.system(List.of("Patient"), null, "http://localhost/fhir/$export"),
				false, owner).id();
	}

	private BulkJob awaitEnd(String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		return table.find(id).orElseThrow();
	}

	private BulkJob row(BulkJobState state, Instant createdAt) {
		String id = java.util.UUID.randomUUID().toString().replace("-", "");
		ExportRequest request = ExportRequest.system(List.of("Patient"), null, "http://localhost/fhir/$export");
		BulkJob job = new BulkJob(id, BulkJobKind.EXPORT, state, "watchdog-client", request.requestUrl(), request.toJson(),
				createdAt, createdAt, createdAt.plus(Duration.ofHours(1)), null, 0, 0, null, null, StatusOptions.DEFAULT);
		table.insert(job);
		return job;
	}

	private JobExecution execution(String jobId, BatchStatus status) {
		JobParameters parameters = new JobParametersBuilder().addString(BulkJobKeys.BULK_JOB_ID, jobId, true)
				.toJobParameters();
		try {
			JobExecution execution = engine.jobRepository()
					.createJobExecution(hapibulk.export.job.ExportJobConfig.JOB_NAME, parameters);
			execution.setStatus(status);
			execution.setStartTime(LocalDateTime.now());
			if (status != BatchStatus.STARTED) {
				execution.setEndTime(LocalDateTime.now());
			}
			engine.jobRepository().update(execution);
			return execution;
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	private static List<Path> filesOf(String jobId) throws IOException {
		Path directory = files.resolve(jobId);
		if (!Files.exists(directory)) {
			return List.of();
		}
		try (Stream<Path> paths = Files.list(directory)) {
			return paths.toList();
		}
	}

	/** Null when the command succeeded, else why not (its exit code and output). */
	private static String mountFailure(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			if (!process.waitFor(20, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				return String.join(" ", command) + " did not end within 20 s";
			}
			String output = new String(process.getInputStream().readAllBytes()).strip();
			return process.exitValue() == 0 ? null
					: String.join(" ", command) + " exited " + process.exitValue() + ": " + output;
		} catch (IOException e) {
			return String.join(" ", command) + " did not start: " + e.getMessage();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return "interrupted";
		}
	}

	private static boolean run(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			return process.waitFor(20, TimeUnit.SECONDS) && process.exitValue() == 0;
		} catch (IOException e) {
			return false;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private static Path temp(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
