package hapibulk.storage;

import hapibulk.tenant.Tenant;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link BulkFileStore} must do, so that a part file holds each line exactly once whatever
 * back end it lives in: appends become visible at commit, and reopening at a committed length
 * forgets everything written after it, even bytes a chunk stored and committed to the store before
 * its transaction failed.
 */
abstract class BulkFileStoreContract {

	/** A fresh store; every test writes its own job ids. */
	abstract BulkFileStore store() throws IOException;

	/**
	 * What the last store made holds under {@code folder} (relative to its root: the file directory, the key
	 * prefix), as paths relative to its root: files, or objects' keys.
	 */
	abstract List<String> storedUnder(String folder) throws IOException;

	@Test
	void aTenantsJob_isStoredUnderItsTenantsFolder_apartFromAJobOfTheSameIdWithoutATenant() throws IOException {
		// given: a job of tenant A and one without a tenant, of the same id (never so in a server: ids are random)
		BulkFileStore store = store();
		JobFolder ofA = JobFolder.of("job-tenant", new Tenant(List.of("A"), List.of(1), false));
		JobFolder plain = JobFolder.of("job-tenant");

		// when
		write(store, ofA, "Patient-1.ndjson", "a\n");
		write(store, plain, "Patient-1.ndjson", "bb\n");

		// then: A's file lies under tenants/A/, the other where files always lay
		assertThat(storedUnder("tenants/A/job-tenant")).isNotEmpty()
				.allMatch(path -> path.startsWith("tenants/A/job-tenant/Patient-1.ndjson"));
		assertThat(storedUnder("job-tenant")).isNotEmpty()
				.allMatch(path -> path.startsWith("job-tenant/Patient-1.ndjson"));
		assertThat(read(store.find(ofA, "Patient-1.ndjson").orElseThrow())).isEqualTo("a\n");
		assertThat(read(store.find(plain, "Patient-1.ndjson").orElseThrow())).isEqualTo("bb\n");
		assertThat(store.bytesHeld(ofA)).isPositive().isNotEqualTo(store.bytesHeld(plain));

		// when: A's job is deleted
		store.deleteAll(ofA);

		// then
		assertThat(store.find(ofA, "Patient-1.ndjson")).isEmpty();
		assertThat(storedUnder("tenants/A/job-tenant")).isEmpty();
		assertThat(store.bytesHeld(ofA)).isZero();
		assertThat(read(store.find(plain, "Patient-1.ndjson").orElseThrow())).isEqualTo("bb\n");
	}

	@Test
	void aTenantWhoseNameIsNoSafeSegment_isStoredUnderItsEncodedFolder_andNowhereElse() throws IOException {
		// given: HAPI's partition names are free text
		BulkFileStore store = store();
		for (String name : List.of("../../escape", "Klinik Süd/2", "..", "a..b")) {
			JobFolder job = JobFolder.of("job-unsafe", new Tenant(List.of(name), List.of(7), false));

			// when
			write(store, job, "Patient-1.ndjson", "x\n");

			// then
			assertThat(job.tenant()).as(name).matches("_[0-9a-f]{64}");
			assertThat(storedUnder("tenants/" + job.tenant() + "/job-unsafe")).as(name).isNotEmpty();
			assertThat(read(store.find(job, "Patient-1.ndjson").orElseThrow())).isEqualTo("x\n");
		}
		assertThat(storedUnder("")).hasSizeGreaterThanOrEqualTo(4)
				.allMatch(path -> path.matches("tenants/_[0-9a-f]{64}/job-unsafe/Patient-1\\.ndjson.*"));
	}

	private static void write(BulkFileStore store, JobFolder job, String name, String text) throws IOException {
		try (BulkFileAppender appender = store.openAppender(job, name, 0)) {
			append(appender, text);
			appender.commit();
		}
	}

	@Test
	void committedAppends_areReadBackInOrder_withTheirLength() throws IOException {
		// given
		BulkFileStore store = store();

		// when
		long committed;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-read"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"a\":1}\n");
			assertThat(appender.commit()).isEqualTo(8);
			append(appender, "{\"b\":2}\n");
			committed = appender.commit();
		}

		// then
		assertThat(committed).isEqualTo(16);
		BulkFileStore.StoredFile file = store.find(JobFolder.of("job-read"), "Patient-1.ndjson").orElseThrow();
		assertThat(file.length()).isEqualTo(16);
		assertThat(read(file)).isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void reopeningAtTheCommittedLength_forgetsWhatAFailedChunkStored_soEveryLineIsThereOnce() throws IOException {
		// given: chunk 1 committed; chunk 2 stored its lines but its transaction never committed
		BulkFileStore store = store();
		long committed;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-restart"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"line\":1}\n");
			committed = appender.commit();
		}
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-restart"), "Patient-1.ndjson", committed)) {
			append(appender, "{\"line\":2}\n{\"line\":3}\n");
			appender.commit();
		}

		// when: the restarted chunk 2 writes again from the committed length, fewer lines this time
		long end;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-restart"), "Patient-1.ndjson", committed)) {
			append(appender, "{\"line\":2}\n");
			end = appender.commit();
		}

		// then
		BulkFileStore.StoredFile file = store.find(JobFolder.of("job-restart"), "Patient-1.ndjson").orElseThrow();
		assertThat(read(file)).isEqualTo("{\"line\":1}\n{\"line\":2}\n");
		assertThat(file.length()).isEqualTo(end).isEqualTo(22);
	}

	@Test
	void uncommittedAppends_areForgottenOnReopen() throws IOException {
		// given
		BulkFileStore store = store();
		long committed;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-uncommitted"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"a\":1}\n");
			committed = appender.commit();
			append(appender, "{\"never\":\"committed\"}\n");
		}

		// when
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-uncommitted"), "Patient-1.ndjson", committed)) {
			append(appender, "{\"b\":2}\n");
			appender.commit();
		}

		// then
		assertThat(read(store.find(JobFolder.of("job-uncommitted"), "Patient-1.ndjson").orElseThrow()))
				.isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void largeChunks_spanningManyBlocks_areReadBackWhole_andRestartAfterThem() throws IOException {
		// given: 3 MiB and a bit per chunk, beyond any record or segment size of the stores
		BulkFileStore store = store();
		byte[] chunk = lines(3 * 1024 * 1024 + 123);
		long committed;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-large"), "Observation-1.ndjson", 0)) {
			appender.append(chunk, 0, chunk.length);
			committed = appender.commit();
			appender.append(chunk, 0, chunk.length);
			appender.commit();
		}

		// when: the second chunk is redone
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-large"), "Observation-1.ndjson", committed)) {
			appender.append(chunk, 0, chunk.length);
			assertThat(appender.commit()).isEqualTo(2L * chunk.length);
		}

		// then
		BulkFileStore.StoredFile file = store.find(JobFolder.of("job-large"), "Observation-1.ndjson").orElseThrow();
		assertThat(file.length()).isEqualTo(2L * chunk.length);
		try (InputStream in = file.open()) {
			byte[] all = in.readAllBytes();
			assertThat(all).hasSize(2 * chunk.length);
			assertThat(java.util.Arrays.copyOfRange(all, chunk.length, all.length)).isEqualTo(chunk);
		}
	}

	@Test
	void reopeningBeyondWhatIsStored_fails() throws IOException {
		// given
		BulkFileStore store = store();
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-short"), "Patient-1.ndjson", 0)) {
			append(appender, "x\n");
			appender.commit();
		}

		// when / then
		assertThatThrownBy(() -> store.openAppender(JobFolder.of("job-short"), "Patient-1.ndjson", 10)).isInstanceOf(IOException.class);
	}

	@Test
	void anEmptyCommittedFile_exists_withLengthZero() throws IOException {
		// given
		BulkFileStore store = store();

		// when
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-empty"), "OperationOutcome-1.ndjson", 0)) {
			assertThat(appender.commit()).isZero();
		}

		// then
		BulkFileStore.StoredFile file = store.find(JobFolder.of("job-empty"), "OperationOutcome-1.ndjson").orElseThrow();
		assertThat(file.length()).isZero();
		assertThat(read(file)).isEmpty();
	}

	@Test
	void deleteAll_removesTheJobsFiles_only() throws IOException {
		// given
		BulkFileStore store = store();
		for (String job : new String[] {"job-delete-1", "job-delete-2"}) {
			for (String name : new String[] {"Patient-1.ndjson", "Patient-2.ndjson"}) {
				try (BulkFileAppender appender = store.openAppender(JobFolder.of(job), name, 0)) {
					append(appender, "x\n");
					appender.commit();
				}
			}
		}
		assertThat(store.bytesHeld(JobFolder.of("job-delete-1"))).isPositive();

		// when
		store.deleteAll(JobFolder.of("job-delete-1"));

		// then
		assertThat(store.find(JobFolder.of("job-delete-1"), "Patient-1.ndjson")).isEmpty();
		assertThat(store.find(JobFolder.of("job-delete-1"), "Patient-2.ndjson")).isEmpty();
		assertThat(store.bytesHeld(JobFolder.of("job-delete-1"))).isZero();
		assertThat(store.find(JobFolder.of("job-delete-2"), "Patient-2.ndjson")).hasValueSatisfying(file -> assertThat(file.length())
				.isEqualTo(2));
	}

	@Test
	void find_ofUnknownOrUnsafeNames_findsNothing() throws IOException {
		BulkFileStore store = store();

		assertThat(store.find(JobFolder.of("job-none"), "Patient-1.ndjson")).isEmpty();
		assertThatThrownBy(() -> JobFolder.of("..")).isInstanceOf(IllegalArgumentException.class);
		assertThat(store.find(JobFolder.of("job-none"), "../../secret.txt")).isEmpty();
		assertThat(store.find(null, "x")).isEmpty();
		assertThatThrownBy(() -> store.openAppender(JobFolder.of("job-none"), "../x", 0)).isInstanceOf(IllegalArgumentException.class);
	}

	static void append(BulkFileAppender appender, String text) throws IOException {
		byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
		appender.append(bytes, 0, bytes.length);
	}

	static String read(BulkFileStore.StoredFile file) throws IOException {
		try (InputStream in = file.open()) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
	}

	/** NDJSON-like lines of about {@code size} bytes, each different. */
	static byte[] lines(int size) {
		ByteArrayOutputStream out = new ByteArrayOutputStream(size + 64);
		for (int i = 0; out.size() < size; i++) {
			out.writeBytes(("{\"resourceType\":\"Observation\",\"id\":\"" + i + "\"}\n").getBytes(StandardCharsets.UTF_8));
		}
		return out.toByteArray();
	}
}
