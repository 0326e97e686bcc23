package hapibulk.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class DigestingFileStoreTest {

	@TempDir
	Path directory;

	@Test
	void aFileWrittenFromItsStartInCommittedChunks_hasItsDigestWithoutBeingRead() throws Exception {
		DigestingFileStore store = new DigestingFileStore(new LocalFileStore(directory));
		long length = appendAndCommit(store, 0, "{\"a\":1}\n");
		length = appendAndCommit(store, length, "{\"b\":2}\n");
		Files.writeString(file(), "changed on disk: the digest is of what was written");

		assertThat(store.sha256(JobFolder.of("job1"), "Patient-1.ndjson", length)).contains(sha256("{\"a\":1}\n{\"b\":2}\n"));
		// handed out once: a second ask reads the file
		assertThat(store.sha256(JobFolder.of("job1"), "Patient-1.ndjson", length)).isEmpty();
	}

	@Test
	void aChunkThatAppendedButNeverCommitted_leavesTheDigestUnknown_andTheFileIsReadBack() throws Exception {
		DigestingFileStore store = new DigestingFileStore(new LocalFileStore(directory));
		long length = appendAndCommit(store, 0, "{\"a\":1}\n");
		try (BulkFileAppender rolledBack = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", length)) {
			rolledBack.append(bytes("{\"lost\":0}\n"), 0, 11);
		}
		length = appendAndCommit(store, length, "{\"b\":2}\n");

		assertThat(store.sha256(JobFolder.of("job1"), "Patient-1.ndjson", length)).isEmpty();
		assertThat(FileDigests.sha256(store, JobFolder.of("job1"), "Patient-1.ndjson", length))
				.isEqualTo(sha256("{\"a\":1}\n{\"b\":2}\n"));
	}

	@Test
	void aFileAnotherProcessStarted_orOfAnotherLength_isReadBack() throws Exception {
		long length = appendAndCommit(new DigestingFileStore(new LocalFileStore(directory)), 0, "{\"a\":1}\n");
		DigestingFileStore restarted = new DigestingFileStore(new LocalFileStore(directory));
		length = appendAndCommit(restarted, length, "{\"b\":2}\n");

		assertThat(restarted.sha256(JobFolder.of("job1"), "Patient-1.ndjson", length)).isEmpty();
		assertThat(FileDigests.sha256(restarted, JobFolder.of("job1"), "Patient-1.ndjson", length))
				.isEqualTo(sha256("{\"a\":1}\n{\"b\":2}\n"));
		assertThat(restarted.sha256(JobFolder.of("job1"), "Patient-1.ndjson", length + 1)).isEmpty();
	}

	private Path file() throws IOException {
		try (var files = Files.walk(directory)) {
			return files.filter(Files::isRegularFile).findFirst().orElseThrow();
		}
	}

	private static long appendAndCommit(BulkFileStore store, long from, String text) throws IOException {
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", from)) {
			byte[] bytes = bytes(text);
			appender.append(bytes, 0, bytes.length);
			return appender.commit();
		}
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static String sha256(String text) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(text)));
	}
}
