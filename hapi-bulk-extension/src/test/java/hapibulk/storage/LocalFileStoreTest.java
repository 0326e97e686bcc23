package hapibulk.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalFileStoreTest {

	@TempDir
	Path directory;

	@Test
	void reopening_discardsBytesBeyondTheCommittedLength() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		long committed;
		try (BulkFileAppender appender = store.openAppender("job1", "Patient-1.ndjson", 0)) {
			appender.append(bytes("{\"a\":1}\n"), 0, 8);
			committed = appender.commit();
			appender.append(bytes("{\"uncommitted\":true}\n"), 0, 21);
		}
		assertThat(Files.size(directory.resolve("job1/Patient-1.ndjson"))).isEqualTo(29);

		try (BulkFileAppender appender = store.openAppender("job1", "Patient-1.ndjson", committed)) {
			appender.append(bytes("{\"b\":2}\n"), 0, 8);
			assertThat(appender.commit()).isEqualTo(16);
		}

		assertThat(Files.readString(directory.resolve("job1/Patient-1.ndjson"))).isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void reopening_aFileShorterThanItsCommittedLength_fails() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		try (BulkFileAppender appender = store.openAppender("job1", "Patient-1.ndjson", 0)) {
			appender.append(bytes("x\n"), 0, 2);
			appender.commit();
		}
		assertThatThrownBy(() -> store.openAppender("job1", "Patient-1.ndjson", 10)).isInstanceOf(IOException.class);
	}

	@Test
	void find_refusesNamesThatCouldLeaveTheDirectory() throws IOException {
		LocalFileStore store = new LocalFileStore(directory.resolve("files"));
		Files.writeString(directory.resolve("secret.txt"), "secret");

		assertThat(store.find("..", "secret.txt")).isEmpty();
		assertThat(store.find("job1", "../../secret.txt")).isEmpty();
		assertThat(store.find("job1", "/etc/passwd")).isEmpty();
		assertThat(store.find(null, "x")).isEmpty();
	}

	@Test
	void deleteAll_removesTheJobsFiles_only() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		for (String job : new String[] {"job1", "job2"}) {
			try (BulkFileAppender appender = store.openAppender(job, "Patient-1.ndjson", 0)) {
				appender.append(bytes("x\n"), 0, 2);
				appender.commit();
			}
		}

		store.deleteAll("job1");

		assertThat(store.find("job1", "Patient-1.ndjson")).isEmpty();
		assertThat(store.find("job2", "Patient-1.ndjson")).hasValueSatisfying(file -> assertThat(file.length()).isEqualTo(2));
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}
}
