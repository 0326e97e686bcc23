package hapibulk.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LocalFileStoreTest {

	@TempDir
	Path directory;

	@Test
	void reopening_discardsBytesBeyondTheCommittedLength() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		long committed;
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0)) {
			appender.append(bytes("{\"a\":1}\n"), 0, 8);
			committed = appender.commit();
			appender.append(bytes("{\"uncommitted\":true}\n"), 0, 21);
		}
		assertThat(Files.size(directory.resolve("job1/Patient-1.ndjson"))).isEqualTo(29);

		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", committed)) {
			appender.append(bytes("{\"b\":2}\n"), 0, 8);
			assertThat(appender.commit()).isEqualTo(16);
		}

		assertThat(Files.readString(directory.resolve("job1/Patient-1.ndjson"))).isEqualTo("{\"a\":1}\n{\"b\":2}\n");
	}

	@Test
	void reopening_aFileShorterThanItsCommittedLength_fails() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0)) {
			appender.append(bytes("x\n"), 0, 2);
			appender.commit();
		}
		assertThatThrownBy(() -> store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 10)).isInstanceOf(IOException.class);
	}

	@Test
	void find_refusesNamesThatCouldLeaveTheDirectory() throws IOException {
		LocalFileStore store = new LocalFileStore(directory.resolve("files"));
		Files.writeString(directory.resolve("secret.txt"), "secret");

		assertThatThrownBy(() -> JobFolder.of("..")).isInstanceOf(IllegalArgumentException.class);
		assertThat(store.find(JobFolder.of("job1"), "../../secret.txt")).isEmpty();
		assertThat(store.find(JobFolder.of("job1"), "/etc/passwd")).isEmpty();
		assertThat(store.find(null, "x")).isEmpty();
	}

	@Test
	void deleteAll_removesTheJobsFiles_only() throws IOException {
		LocalFileStore store = new LocalFileStore(directory);
		for (String job : new String[] {"job1", "job2"}) {
			try (BulkFileAppender appender = store.openAppender(JobFolder.of(job), "Patient-1.ndjson", 0)) {
				appender.append(bytes("x\n"), 0, 2);
				appender.commit();
			}
		}

		store.deleteAll(JobFolder.of("job1"));

		assertThat(store.find(JobFolder.of("job1"), "Patient-1.ndjson")).isEmpty();
		assertThat(store.find(JobFolder.of("job2"), "Patient-1.ndjson")).hasValueSatisfying(file -> assertThat(file.length()).isEqualTo(2));
	}

	@Test
	void filesAndDirectories_areCreatedOwnerOnly_evenUnderAUmaskThatGivesEveryoneEverything() throws Exception {
		assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
		// given: a server process started with umask 000 (what a careless service unit or container gives)
		Path files = directory.resolve("bulk-files");
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		Process probe = new ProcessBuilder("sh", "-c", "umask 000 && exec \"$0\" -cp \"$1\" " + OwnerOnlyProbe.class.getName()
				+ " \"$2\"", java, System.getProperty("java.class.path"), files.toString()).inheritIO().start();

		// when: it writes a bulk file
		assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(probe.exitValue()).isZero();

		// then: the file directory, the job's directory and the file are the server user's alone
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files))).isEqualTo("rwx------");
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.resolve("job-umask"))))
				.isEqualTo("rwx------");
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
				files.resolve("job-umask/Patient-1.ndjson")))).isEqualTo("rw-------");
	}

	@Test
	void filesAndDirectories_areCreatedOwnerOnly_underThisProcesssUmask() throws IOException {
		assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file system");
		LocalFileStore store = new LocalFileStore(directory.resolve("a/b"));
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0)) {
			appender.append(bytes("x\n"), 0, 2);
			appender.commit();
		}
		for (Path created : new Path[] {directory.resolve("a"), directory.resolve("a/b"), directory.resolve("a/b/job1")}) {
			assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).as(created.toString())
					.isEqualTo("rwx------");
		}
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory.resolve("a/b/job1/Patient-1.ndjson"))))
				.isEqualTo("rw-------");
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}
}
