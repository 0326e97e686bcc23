package hapibulk.storage;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

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

	@Test
	void committedAppends_areReadBackInOrder_withTheirLength() throws IOException {
		// given
		BulkFileStore store = store();

		// when
		long committed;
		try (BulkFileAppender appender = store.openAppender("job-read", "Patient-1.ndjson", 0)) {
			append(appender, "{\"a\":1}\n");
			assertThat(appender.commit()).isEqualTo(8);
			append(appender, "{\"b\":2}\n");
			committed = appender.commit();
		}

		// then
		assertThat(committed).isEqualTo(16);
		BulkFileStore.StoredFile file = store.find("job-read", "Patient-1.ndjson").orElseThrow();
		assertThat(file.length()).isEqualTo(16);
		assertThat(read(file)).isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void reopeningAtTheCommittedLength_forgetsWhatAFailedChunkStored_soEveryLineIsThereOnce() throws IOException {
		// given: chunk 1 committed; chunk 2 stored its lines but its transaction never committed
		BulkFileStore store = store();
		long committed;
		try (BulkFileAppender appender = store.openAppender("job-restart", "Patient-1.ndjson", 0)) {
			append(appender, "{\"line\":1}\n");
			committed = appender.commit();
		}
		try (BulkFileAppender appender = store.openAppender("job-restart", "Patient-1.ndjson", committed)) {
			append(appender, "{\"line\":2}\n{\"line\":3}\n");
			appender.commit();
		}

		// when: the restarted chunk 2 writes again from the committed length, fewer lines this time
		long end;
		try (BulkFileAppender appender = store.openAppender("job-restart", "Patient-1.ndjson", committed)) {
			append(appender, "{\"line\":2}\n");
			end = appender.commit();
		}

		// then
		BulkFileStore.StoredFile file = store.find("job-restart", "Patient-1.ndjson").orElseThrow();
		assertThat(read(file)).isEqualTo("{\"line\":1}\n{\"line\":2}\n");
		assertThat(file.length()).isEqualTo(end).isEqualTo(22);
	}

	@Test
	void uncommittedAppends_areForgottenOnReopen() throws IOException {
		// given
		BulkFileStore store = store();
		long committed;
		try (BulkFileAppender appender = store.openAppender("job-uncommitted", "Patient-1.ndjson", 0)) {
			append(appender, "{\"a\":1}\n");
			committed = appender.commit();
			append(appender, "{\"never\":\"committed\"}\n");
		}

		// when
		try (BulkFileAppender appender = store.openAppender("job-uncommitted", "Patient-1.ndjson", committed)) {
			append(appender, "{\"b\":2}\n");
			appender.commit();
		}

		// then
		assertThat(read(store.find("job-uncommitted", "Patient-1.ndjson").orElseThrow()))
				.isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void largeChunks_spanningManyBlocks_areReadBackWhole_andRestartAfterThem() throws IOException {
		// given: 3 MiB and a bit per chunk, beyond any record or segment size of the stores
		BulkFileStore store = store();
		byte[] chunk = lines(3 * 1024 * 1024 + 123);
		long committed;
		try (BulkFileAppender appender = store.openAppender("job-large", "Observation-1.ndjson", 0)) {
			appender.append(chunk, 0, chunk.length);
			committed = appender.commit();
			appender.append(chunk, 0, chunk.length);
			appender.commit();
		}

		// when: the second chunk is redone
		try (BulkFileAppender appender = store.openAppender("job-large", "Observation-1.ndjson", committed)) {
			appender.append(chunk, 0, chunk.length);
			assertThat(appender.commit()).isEqualTo(2L * chunk.length);
		}

		// then
		BulkFileStore.StoredFile file = store.find("job-large", "Observation-1.ndjson").orElseThrow();
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
		try (BulkFileAppender appender = store.openAppender("job-short", "Patient-1.ndjson", 0)) {
			append(appender, "x\n");
			appender.commit();
		}

		// when / then
		assertThatThrownBy(() -> store.openAppender("job-short", "Patient-1.ndjson", 10)).isInstanceOf(IOException.class);
	}

	@Test
	void anEmptyCommittedFile_exists_withLengthZero() throws IOException {
		// given
		BulkFileStore store = store();

		// when
		try (BulkFileAppender appender = store.openAppender("job-empty", "OperationOutcome-1.ndjson", 0)) {
			assertThat(appender.commit()).isZero();
		}

		// then
		BulkFileStore.StoredFile file = store.find("job-empty", "OperationOutcome-1.ndjson").orElseThrow();
		assertThat(file.length()).isZero();
		assertThat(read(file)).isEmpty();
	}

	@Test
	void deleteAll_removesTheJobsFiles_only() throws IOException {
		// given
		BulkFileStore store = store();
		for (String job : new String[] {"job-delete-1", "job-delete-2"}) {
			for (String name : new String[] {"Patient-1.ndjson", "Patient-2.ndjson"}) {
				try (BulkFileAppender appender = store.openAppender(job, name, 0)) {
					append(appender, "x\n");
					appender.commit();
				}
			}
		}
		assertThat(store.bytesHeld("job-delete-1")).isPositive();

		// when
		store.deleteAll("job-delete-1");

		// then
		assertThat(store.find("job-delete-1", "Patient-1.ndjson")).isEmpty();
		assertThat(store.find("job-delete-1", "Patient-2.ndjson")).isEmpty();
		assertThat(store.bytesHeld("job-delete-1")).isZero();
		assertThat(store.find("job-delete-2", "Patient-2.ndjson")).hasValueSatisfying(file -> assertThat(file.length())
				.isEqualTo(2));
	}

	@Test
	void find_ofUnknownOrUnsafeNames_findsNothing() throws IOException {
		BulkFileStore store = store();

		assertThat(store.find("job-none", "Patient-1.ndjson")).isEmpty();
		assertThat(store.find("..", "secret.txt")).isEmpty();
		assertThat(store.find("job-none", "../../secret.txt")).isEmpty();
		assertThat(store.find(null, "x")).isEmpty();
		assertThatThrownBy(() -> store.openAppender("job-none", "../x", 0)).isInstanceOf(IllegalArgumentException.class);
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
