package hapibulk.storage;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.tenant.Tenant;
import hapibulk.testsupport.CommitFaultFileStore;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.SyntheaData;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Export and import jobs end to end on a store other than plain local files, over a real HAPI server and
 * database: the files land in the store, downloads (plain and gzip) equal what the manifest counts and
 * hashes, a chunk redone from its committed cursor leaves every line once, and expiry removes the files.
 * Subclasses pick the store by {@code hapi.bulk.storage.*} settings and say where its bytes lie.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StoredFilesJobContract {

	static final Path inputs = temp("hapi-bulk-stored-inputs");

	@DynamicPropertySource
	static void commonProperties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.auth.mode", () -> "none");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.export.page-size", () -> "200");
		registry.add("hapi.bulk.export.max-resources-per-file", () -> "500");
		registry.add("hapi.bulk.export.include-referenced-resources", () -> "false");
		registry.add("hapi.bulk.export.max-running-exports", () -> "100");
		registry.add("hapi.bulk.import.directory", inputs::toString);
		registry.add("hapi.bulk.recovery.retry-backoff", () -> "10ms");
	}

	/** The store of the settings, wrapped so a test can make a chunk fail after its lines were stored. */
	@Configuration(proxyBeanMethods = false)
	static class Faults {
		@Bean
		@Primary
		CommitFaultFileStore commitFaultFileStore(@Qualifier("hapiBulkFileStore") BulkFileStore store) {
			return new CommitFaultFileStore(store);
		}
	}

	@Autowired
	FhirContext fhirContext;
	@Autowired
	IFhirSystemDao<Bundle, ?> systemDao;
	@Autowired
	RestfulServer restfulServer;
	@Autowired
	ExportJobService exportJobService;
	@Autowired
	ImportJobService importJobService;
	@Autowired
	BulkJobService jobService;
	@Autowired
	BulkJobTable table;
	@Autowired
	CommitFaultFileStore fileStore;
	@Autowired
	DataSource dataSource;

	RestfulServerClient client;
	Set<String> encounterIds;

	/**
	 * The names of the stored objects or files that hold the job's bytes (empty once they are gone), found where the
	 * job's folder lies under the store's root ({@link JobFolder#path()}: by its tenant, if it has one).
	 */
	abstract List<String> storedNames(JobFolder job) throws IOException;

	/** The bytes at rest of one file of the job, as the store's medium holds them. */
	abstract byte[] bytesAtRest(JobFolder job, String fileName) throws IOException;

	/** Whether the bytes at rest are encrypted by us (then they must not show the plaintext). */
	abstract boolean encryptedAtRest();

	@BeforeAll
	void loadData() {
		client = new RestfulServerClient(restfulServer);
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		for (String type : List.of("Organization", "Location", "Practitioner", "Patient", "Encounter")) {
			loader.load(SyntheaData.lines(type));
		}
		encounterIds = new HashSet<>(ids(SyntheaData.lines("Encounter")));
	}

	@Test
	void export_storesItsPartFilesInTheStore_andDownloadsEqualTheManifestsCountsAndChecksums() throws IOException {
		// when
		BulkJob job = exportAndWait(List.of("Patient", "Encounter"));

		// then: every resource once, in files the store holds
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).extracting(BulkManifest.ManifestFile::file).containsExactly(
				"Patient-1.ndjson", "Encounter-1.ndjson", "Encounter-2.ndjson", "Encounter-3.ndjson");
		List<String> encounters = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			byte[] plain = download(job, file.file(), false);
			assertDownloadMatches(file, plain);
			assertThat(gunzip(download(job, file.file(), true))).isEqualTo(plain);
			if (file.type().equals("Encounter")) {
				encounters.addAll(ids(lines(plain)));
			}
			assertAtRest(job.folder(), file.file(), plain);
		}
		assertThat(encounters).hasSize(encounterIds.size()).containsExactlyInAnyOrderElementsOf(encounterIds);
		assertThat(storedNames(job.folder())).isNotEmpty();
	}

	@Test
	void aChunkRedoneAfterItsLinesWereStored_midFile_leavesEveryLineOnce() throws IOException {
		// given: the fourth commit (the chunk that closes Encounter-1 and starts Encounter-2) stores its
		// lines, then its transaction fails
		fileStore.failAfterCommits(3);

		// when
		BulkJob job = exportAndWait(List.of("Encounter"));

		// then
		assertThat(fileStore.faults()).isEqualTo(1);
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		List<String> encounters = new ArrayList<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			byte[] plain = download(job, file.file(), false);
			assertDownloadMatches(file, plain);
			encounters.addAll(ids(lines(plain)));
			assertAtRest(job.folder(), file.file(), plain);
		}
		assertThat(manifest.output()).extracting(BulkManifest.ManifestFile::count).containsExactly(500L, 500L,
				(long) encounterIds.size() - 1000);
		assertThat(encounters).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(encounterIds);
	}

	@Test
	void import_writesItsErrorFileIntoTheStore_andItDownloadsAsCountedAndHashed() throws IOException {
		// given: two good lines and two bad ones
		Path input = inputs.resolve(getClass().getSimpleName() + "/organizations.ndjson");
		Files.createDirectories(input.getParent());
		Files.writeString(input, String.join("\n",
				"{\"resourceType\":\"Organization\",\"id\":\"stored-org-1\",\"name\":\"One\"}",
				"{\"resourceType\":\"Organization\",\"id\":\"stored-org-2\",\"name\":",
				"{\"resourceType\":\"Organization\",\"id\":\"stored-org-3\",\"name\":\"Three\"}",
				"{\"resourceType\":\"Patient\",\"id\":\"stored-pat-1\"}") + "\n");

		// when
		String id = importJobService.submit(new ImportRequest(null, null, null,
				List.of(new ImportRequest.Input("Organization", input.toUri().toString())),
				"http://localhost/fhir/$import"), null).id();
		BulkJob job = awaitCompleted(id);

		// then
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		assertThat(manifest.output()).singleElement().satisfies(output -> assertThat(output.count()).isEqualTo(2));
		BulkManifest.ManifestFile errors = manifest.error().get(0);
		assertThat(errors.count()).isEqualTo(2);
		byte[] plain = download(job, errors.file(), false);
		// (an import's manifest gives no SHA-256 for its error files)
		assertThat(plain).hasSize((int) errors.bytes());
		assertThat(lines(plain)).hasSize(2);
		assertThat(new String(plain, StandardCharsets.UTF_8)).contains("OperationOutcome", "BULK-0240", "BULK-0241");
		assertAtRest(job.folder(), errors.file(), plain);
	}

	@Test
	void aFileChangedInTheStoreAfterItsManifest_isNeverServedWhole() throws IOException {
		// given: a completed export, then one byte of a file changed where the store keeps it (same length)
		BulkJob job = exportAndWait(List.of("Patient"));
		BulkManifest.ManifestFile file = StoredManifestJson.read(job.manifestJson()).output().get(0);
		byte[] original = download(job, file.file(), false);
		changeOneByteAtRest(job.folder(), file.file());

		// when: it is downloaded, plain or gzip
		for (boolean gzip : new boolean[] {false, true}) {
			RestfulServerClient.Answer answer;
			try {
				answer = gzip
						? client.get("$bulk-file?job=" + job.id() + "&file=" + file.file(), "Accept-Encoding", "gzip")
						: client.get("$bulk-file?job=" + job.id() + "&file=" + file.file());
			} catch (RuntimeException failed) {
				// the request failed in the servlet container (which then breaks the connection): nothing served whole
				continue;
			}

			// then: the client never gets the whole file: an error, or fewer bytes than the manifest says
			byte[] body = answer.response().getContentAsByteArray();
			if (answer.status() == 200) {
				byte[] received = gzip ? gunzipWhatArrived(body) : body;
				assertThat(received.length).as("bytes received").isLessThan((int) file.bytes());
				assertThat(received).isNotEqualTo(original);
			}
		}
	}

	/** Changes one byte of the file where the store keeps it, keeping its length. */
	abstract void changeOneByteAtRest(JobFolder job, String fileName) throws IOException;

	/** What a gzip reader gets out of a body before it fails (a stream cut short ends without its trailer). */
	private static byte[] gunzipWhatArrived(byte[] gzip) {
		java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
		try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
			in.transferTo(out);
		} catch (IOException cutShort) {
			// what arrived is what counts
		}
		return out.toByteArray();
	}

	@Test
	void aTenantsExport_isStoredUnderItsTenantsFolder_downloadsAsCounted_andExpires() throws IOException {
		// given: an export of a tenant (the DEFAULT partition, whose id is null: where an unpartitioned server's rows
		// are; the tenant comes from the request record, as a partitioned host's kick-off records it)
		Tenant tenant = new Tenant(List.of("DEFAULT"), Arrays.asList((Integer) null), false);

		// when
		BulkJob job = awaitCompleted(exportJobService.submit(ExportRequest.system(List.of("Patient"), null,
				"http://localhost/fhir/DEFAULT/$export?_type=Patient").withTenant(tenant), false).id());

		// then: its files lie under the tenant's folder, nothing where a job without a tenant would lie
		assertThat(job.folder().path()).isEqualTo("tenants/DEFAULT/" + job.id());
		assertThat(storedNames(job.folder())).isNotEmpty();
		assertThat(storedNames(JobFolder.of(job.id()))).isEmpty();
		BulkManifest.ManifestFile file = StoredManifestJson.read(job.manifestJson()).output().get(0);
		byte[] plain = download(job, file.file(), false);
		assertDownloadMatches(file, plain);
		assertAtRest(job.folder(), file.file(), plain);

		// when: it expires
		new JdbcTemplate(dataSource).update("UPDATE BULK_JOB SET EXPIRES_AT = ? WHERE JOB_ID = ?",
				Instant.now().minusSeconds(1).toEpochMilli(), job.id());
		jobService.deleteExpired();

		// then
		assertThat(storedNames(job.folder())).isEmpty();
		assertThat(client.get("$bulk-file?job=" + job.id() + "&file=" + file.file()).status()).isEqualTo(404);
	}

	@Test
	void aTenantsJob_whoseFilesLieWhereTheVersionBeforeTenantsFoldersKeptThem_isStillServedAndExpired()
			throws IOException {
		// given: a tenant's export whose files lie under <jobId>/ directly, as the version before tenants' folders
		// stored them (moved there through the store, so they are at rest as it writes them)
		Tenant tenant = new Tenant(List.of("DEFAULT"), Arrays.asList((Integer) null), false);
		BulkJob job = awaitCompleted(exportJobService.submit(ExportRequest.system(List.of("Patient"), null,
				"http://localhost/fhir/DEFAULT/$export?_type=Patient").withTenant(tenant), false).id());
		BulkManifest.ManifestFile file = StoredManifestJson.read(job.manifestJson()).output().get(0);
		byte[] plain = download(job, file.file(), false);
		JobFolder before = JobFolder.of(job.id());
		try (BulkFileAppender appender = fileStore.openAppender(before, file.file(), 0)) {
			appender.append(plain, 0, plain.length);
			appender.commit();
		}
		fileStore.deleteAll(job.folder());
		assertThat(storedNames(job.folder())).isEmpty();

		// when / then: served from there, and deleted from there when it expires
		assertDownloadMatches(file, download(job, file.file(), false));
		new JdbcTemplate(dataSource).update("UPDATE BULK_JOB SET EXPIRES_AT = ? WHERE JOB_ID = ?",
				Instant.now().minusSeconds(1).toEpochMilli(), job.id());
		jobService.deleteExpired();
		assertThat(storedNames(before)).isEmpty();
	}

	@Test
	void expiry_removesTheJobsFilesFromTheStore() throws IOException {
		// given
		BulkJob job = exportAndWait(List.of("Patient"));
		assertThat(storedNames(job.folder())).isNotEmpty();
		new JdbcTemplate(dataSource).update("UPDATE BULK_JOB SET EXPIRES_AT = ? WHERE JOB_ID = ?",
				Instant.now().minusSeconds(1).toEpochMilli(), job.id());

		// when
		jobService.deleteExpired();

		// then
		assertThat(table.find(job.id()).orElseThrow().state()).isEqualTo(BulkJobState.DELETED);
		assertThat(storedNames(job.folder())).isEmpty();
		assertThat(fileStore.find(job.folder(), "Patient-1.ndjson")).isEmpty();
		assertThat(client.get("$bulk-file?job=" + job.id() + "&file=Patient-1.ndjson").status()).isEqualTo(404);
	}

	private void assertDownloadMatches(BulkManifest.ManifestFile file, byte[] plain) {
		assertThat(plain).as(file.file()).hasSize((int) file.bytes());
		assertThat(lines(plain)).as(file.file()).hasSize((int) file.count());
		assertThat(sha256(plain)).as(file.file()).isEqualTo(file.sha256());
	}

	private void assertAtRest(JobFolder job, String fileName, byte[] plain) throws IOException {
		byte[] atRest = bytesAtRest(job, fileName);
		if (encryptedAtRest()) {
			String restText = new String(atRest, StandardCharsets.ISO_8859_1);
			String firstLine = lines(plain).get(0);
			assertThat(restText).doesNotContain("resourceType").doesNotContain(firstLine.substring(0, 40));
			assertThat(atRest.length).isGreaterThan(plain.length);
		} else {
			assertThat(atRest).isEqualTo(plain);
		}
	}

	private byte[] download(BulkJob job, String fileName, boolean gzip) {
		RestfulServerClient.Answer answer = gzip
				? client.get("$bulk-file?job=" + job.id() + "&file=" + fileName, "Accept-Encoding", "gzip")
				: client.get("$bulk-file?job=" + job.id() + "&file=" + fileName);
		assertThat(answer.status()).as(answer.body()).isEqualTo(200);
		assertThat(answer.header("Content-Encoding")).isEqualTo(gzip ? "gzip" : null);
		return answer.response().getContentAsByteArray();
	}

	private BulkJob exportAndWait(List<String> types) {
		return awaitCompleted(exportJobService.submit(ExportRequest.system(types, null,
				"http://localhost/fhir/$export?_type=" + String.join(",", types)), false).id());
	}

	private BulkJob awaitCompleted(String id) {
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
				.until(() -> !table.find(id).orElseThrow().state().isActive());
		BulkJob job = table.find(id).orElseThrow();
		assertThat(job.state()).as(job.errorMessage()).isEqualTo(BulkJobState.COMPLETED);
		return job;
	}

	private static List<String> lines(byte[] ndjson) {
		return new String(ndjson, StandardCharsets.UTF_8).lines().toList();
	}

	private static List<String> ids(List<String> lines) {
		return lines.stream().map(line -> JsonCompare.tree(line).get("id").asText()).toList();
	}

	private static byte[] gunzip(byte[] gzip) throws IOException {
		try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
			return in.readAllBytes();
		}
	}

	private static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	static Path temp(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
