package hapibulk.export.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.config.BulkConfiguration;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestDatabase;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Basic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Chained {@code _since} exports while HAPI writes in long transactions (as an import slice or a
 * large transaction Bundle does: lastUpdated stamped at the start, committed seconds later), and while
 * a real {@code $import} job runs, over a real HAPI JPA server (H2, or PostgreSQL with -Ppostgres).
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChainedSinceExportTest {

	static final Path files = tempDirectory();
	static final Path inputs = tempDirectory();
	/** Imported by the $import test (types no other test of this class writes, and what their references need). */
	static final List<String> IMPORTED_TYPES = List.of("Organization", "Location", "Practitioner", "Patient", "Encounter",
			"Condition");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", () -> files.toString());
		// Mode smart (the default) does not start without it.
		registry.add("hapi.bulk.server-base-url", () -> "http://localhost/fhir");
		registry.add("hapi.bulk.export.page-size", () -> "20");
		registry.add("hapi.bulk.import.directory", () -> inputs.toString());
		// small slices, two at a time: many commits spread over the import's run, as the measured case
		registry.add("hapi.bulk.import.chunk-size", () -> "50");
		registry.add("hapi.bulk.import.parallel-writes", () -> "2");
	}

	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	BulkJobTable table;
	@Autowired
	BulkAudit audit;
	@Autowired
	PlatformTransactionManager transactionManager;
	@Autowired
	ImportJobService importJobService;

	@Test
	void export_whileAWriteStampedBeforeItIsOpen_waitsForItsCommitAndHoldsIt() throws Exception {
		// given: a write stamped now whose transaction stays open
		CountDownLatch written = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		ExecutorService writer = Executors.newSingleThreadExecutor();
		Future<?> slowWrite = writer.submit(() -> new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
			TransactionDetails stamp = new TransactionDetails();
			update(basic("slow-1"), stamp);
			written.countDown();
			awaitLatch(release);
		}));
		assertThat(written.await(30, TimeUnit.SECONDS)).isTrue();

		// when: an export of the type is kicked off, and the write commits once the export has either finished
		// (wrong: it did not wait) or stands waiting for the open transaction to end
		BulkJob job = exportJobService.submit(ExportRequest.system(List.of("Basic"), null, "http://localhost/fhir/$export"), false);
		await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20))
				.until(() -> !table.find(job.id()).orElseThrow().state().isActive() || aThreadWaitsForOpenTransactions());
		boolean finishedBeforeCommit = !table.find(job.id()).orElseThrow().state().isActive();
		release.countDown();
		slowWrite.get(30, TimeUnit.SECONDS);
		writer.shutdown();

		// then: the export waited for the commit and holds the resource
		assertThat(finishedBeforeCommit).isFalse();
		assertThat(lines(awaitDone(job.id())).keySet()).contains("Basic/slow-1");
	}

	@Test
	void chainedSinceExports_whileLongWriteTransactionsCommit_holdEveryWrittenResourceExactlyOnce() throws Exception {
		// given: two writers, each storing transactions of 8 Basic resources that stay open ~0.5 s after HAPI stamped them
		Set<String> writtenIds = ConcurrentHashMap.newKeySet();
		ExecutorService writers = Executors.newFixedThreadPool(2);
		Instant writeUntil = Instant.now().plusSeconds(10);
		List<Future<?>> running = new ArrayList<>();
		for (int w = 0; w < 2; w++) {
			String writerName = "w" + w;
			running.add(writers.submit(() -> {
				int transaction = 0;
				while (Instant.now().isBefore(writeUntil)) {
					int number = transaction++;
					new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
						TransactionDetails stamp = new TransactionDetails();
						List<String> ids = new ArrayList<>();
						for (int i = 0; i < 8; i++) {
							String id = writerName + "-" + number + "-" + i;
							update(basic(id), stamp);
							ids.add("Basic/" + id);
							sleep(60);
						}
						writtenIds.addAll(ids); // only what commits counts
					});
				}
			}));
		}

		// when: exports chained back to back, each _since the previous transactionTime, until one starts after the last commit
		List<BulkJob> exports = new ArrayList<>();
		Instant since = null;
		boolean writersDone = false;
		while (!writersDone) {
			writersDone = running.stream().allMatch(Future::isDone);
			BulkJob job = kickOff(since);
			exports.add(job);
			since = job.transactionTime();
		}
		for (Future<?> writer : running) {
			writer.get();
		}
		writers.shutdown();

		// then: together they hold every written resource once; none holds anything changed after its
		// transactionTime, nor the AuditEvent of its own kick-off
		Map<String, Integer> timesExported = new HashMap<>();
		List<String> afterTransactionTime = new ArrayList<>();
		List<String> ownKickOffAudits = new ArrayList<>();
		for (BulkJob job : exports) {
			Map<String, String> lines = lines(job);
			for (Map.Entry<String, String> line : lines.entrySet()) {
				Instant lastUpdated = Instant.parse(JsonCompare.tree(line.getValue()).at("/meta/lastUpdated").asText());
				if (lastUpdated.isAfter(job.transactionTime())) {
					afterTransactionTime.add(line.getKey() + " in " + job.id());
				}
				if (line.getKey().startsWith("AuditEvent/") && line.getValue().contains(job.id())) {
					ownKickOffAudits.add(line.getKey() + " in " + job.id());
				}
				if (line.getKey().startsWith("Basic/w")) { // the writers', not the other test's
					timesExported.merge(line.getKey(), 1, Integer::sum);
				}
			}
		}
		System.out.printf("chained-since db=%s written=%d exports=%d exported=%d export_ms=%s%n",
				TestDatabase.isPostgres() ? "postgres" : "h2", writtenIds.size(), exports.size(), timesExported.size(),
				exportMillis);
		assertThat(writtenIds).hasSizeGreaterThan(10);
		assertThat(timesExported.keySet()).containsExactlyInAnyOrderElementsOf(writtenIds);
		assertThat(timesExported.values()).containsOnly(1);
		assertThat(afterTransactionTime).isEmpty();
		assertThat(ownKickOffAudits).isEmpty();
	}

	@Test
	void chainedSinceExports_whileARealImportRuns_holdEveryImportedResourceExactlyOnce() throws Exception {
		// given: Synthea's files for five types in the import directory
		List<ImportRequest.Input> inputFiles = new ArrayList<>();
		Set<String> importedIds = new HashSet<>();
		for (String type : IMPORTED_TYPES) {
			Path file = Files.copy(SyntheaData.tenPatients().resolve(type + ".000.ndjson"), inputs.resolve(type + ".ndjson"),
					StandardCopyOption.REPLACE_EXISTING);
			inputFiles.add(new ImportRequest.Input(type, file.toUri().toString()));
			SyntheaData.lines(type).forEach(line -> importedIds.add(type + "/" + JsonCompare.tree(line).get("id").asText()));
		}

		// when: the $import job runs, and exports are chained back to back, each _since the previous
		// transactionTime, until one starts after the import finished
		BulkJob importJob = importJobService.submit(new ImportRequest(null, null, null, inputFiles,
				"http://localhost/fhir/$import"), null);
		String types = String.join(",", IMPORTED_TYPES);
		List<BulkJob> exports = new ArrayList<>();
		Instant since = null;
		boolean importDone = false;
		while (!importDone) {
			importDone = !table.find(importJob.id()).orElseThrow().state().isActive();
			String url = "http://localhost/fhir/$export?_type=" + types + (since == null ? "" : "&_since=" + since);
			BulkJob export = awaitDone(exportJobService.submit(ExportRequest.system(IMPORTED_TYPES, since, url), false).id());
			exports.add(export);
			since = export.transactionTime();
		}

		// then: the import stored every line, and the exports together hold each imported resource exactly once
		assertThat(table.find(importJob.id()).orElseThrow().state()).isEqualTo(BulkJobState.COMPLETED);
		Map<String, Integer> timesExported = new HashMap<>();
		for (BulkJob export : exports) {
			lines(export).keySet().forEach(key -> timesExported.merge(key, 1, Integer::sum));
		}
		long exportsHoldingSome = exports.stream().filter(export -> !lines(export).isEmpty()).count();
		System.out.printf("chained-since-import db=%s imported=%d exports=%d exports_with_data=%d exported=%d%n",
				TestDatabase.isPostgres() ? "postgres" : "h2", importedIds.size(), exports.size(), exportsHoldingSome,
				timesExported.size());
		assertThat(exportsHoldingSome).as("the import's resources spread over several exports").isGreaterThan(1);
		assertThat(timesExported.keySet()).containsExactlyInAnyOrderElementsOf(importedIds);
		assertThat(timesExported.values()).containsOnly(1);
	}

	private final List<Long> exportMillis = new ArrayList<>();

	/** A kick-off as the provider makes it: the job, then its AuditEvent. */
	private BulkJob kickOff(Instant since) {
		long start = System.nanoTime();
		String url = "http://localhost/fhir/$export?_type=Basic,AuditEvent" + (since == null ? "" : "&_since=" + since);
		BulkJob job = exportJobService.submit(ExportRequest.system(List.of("Basic", "AuditEvent"), since, url), false);
		audit.record(AuditRecord.of(AuditAction.EXPORT_KICKOFF, null, new SystemRequestDetails(), "$export", true,
				Map.of("url", url, "job", job.id())));
		BulkJob done = awaitDone(job.id());
		exportMillis.add((System.nanoTime() - start) / 1_000_000);
		return done;
	}

	private BulkJob awaitDone(String id) {
		await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void update(Basic resource, TransactionDetails stamp) {
		IFhirResourceDao dao = daoRegistry.getResourceDao("Basic");
		dao.update(resource, null, true, false, new SystemRequestDetails(), stamp);
	}

	private static Basic basic(String id) {
		Basic basic = new Basic();
		basic.setId(id);
		basic.getCode().setText("written in a long transaction");
		return basic;
	}

	/** The export's lines by "Type/id". */
	private static Map<String, String> lines(BulkJob job) {
		Map<String, String> lines = new HashMap<>();
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		for (BulkManifest.ManifestFile file : manifest.output()) {
			try {
				for (String line : Files.readAllLines(files.resolve(job.id()).resolve(file.file()))) {
					lines.put(file.type() + "/" + JsonCompare.tree(line).get("id").asText(), line);
				}
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
		return lines;
	}

	/** Whether a thread sleeps in {@link OpenTransactions#awaitEnd()}: an export waiting for writes to commit. */
	private static boolean aThreadWaitsForOpenTransactions() {
		return Thread.getAllStackTraces().values().stream().anyMatch(stack -> {
			for (int i = 1; i < stack.length; i++) {
				if (stack[i].getClassName().equals(OpenTransactions.class.getName())
						&& stack[i].getMethodName().equals("awaitEnd") && stack[i - 1].getMethodName().equals("sleep")) {
					return true;
				}
			}
			return false;
		});
	}

	private static void awaitLatch(CountDownLatch latch) {
		try {
			latch.await(60, TimeUnit.SECONDS);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	private static Path tempDirectory() {
		try {
			return Files.createTempDirectory("hapi-bulk-chained-since");
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
