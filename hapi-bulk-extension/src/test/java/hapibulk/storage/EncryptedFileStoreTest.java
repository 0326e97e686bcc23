package hapibulk.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract on encrypted local files, and what encryption itself must give. */
class EncryptedFileStoreTest extends BulkFileStoreContract {

	private static final String KEY = Base64.getEncoder().encodeToString(new byte[] {
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
			31, 32});

	@TempDir
	Path directory;

	@Override
	BulkFileStore store() {
		return new EncryptedFileStore(new LocalFileStore(directory), EncryptedFileStore.key(KEY));
	}

	@Override
	List<String> storedUnder(String folder) throws IOException {
		return LocalFileStoreContractTest.filesUnder(directory, folder);
	}

	@Test
	void bytesOnDisk_holdNoPlaintext_whileTheDownloadIsThePlaintext() throws IOException {
		// given
		String plaintext = "{\"resourceType\":\"Patient\",\"id\":\"secret-patient\",\"name\":[{\"family\":\"Doe\"}]}\n";

		// when: written over two commits
		BulkFileStore store = store();
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-enc"), "Patient-1.ndjson", 0)) {
			append(appender, plaintext);
			appender.commit();
			append(appender, plaintext);
			appender.commit();
		}

		// then
		byte[] onDisk = Files.readAllBytes(directory.resolve("job-enc").resolve("Patient-1.ndjson"));
		String diskText = new String(onDisk, StandardCharsets.ISO_8859_1);
		assertThat(diskText).doesNotContain("secret-patient").doesNotContain("Patient").doesNotContain("Doe");
		BulkFileStore.StoredFile file = store.find(JobFolder.of("job-enc"), "Patient-1.ndjson").orElseThrow();
		assertThat(read(file)).isEqualTo(plaintext + plaintext);
		assertThat(file.length()).isEqualTo(2L * plaintext.length()).isLessThan(onDisk.length);
	}

	@Test
	void anotherKey_cannotReadTheFile() throws IOException {
		// given
		try (BulkFileAppender appender = store().openAppender(JobFolder.of("job-key"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"id\":\"a\"}\n");
			appender.commit();
		}
		SecretKey other = EncryptedFileStore.key(Base64.getEncoder().encodeToString(new byte[32]));

		// when / then: the file names a key this store does not have
		BulkFileStore.StoredFile file = new EncryptedFileStore(new LocalFileStore(directory), other)
				.find(JobFolder.of("job-key"), "Patient-1.ndjson").orElseThrow();
		assertThatThrownBy(() -> {
			try (InputStream in = file.open()) {
				in.readAllBytes();
			}
		}).isInstanceOf(IOException.class).hasMessageContaining("BULK-0677");
	}

	@Test
	void aRecordMovedToAnotherFile_doesNotDecrypt() throws IOException {
		// given: the same bytes under another file name (the associated data names the file)
		try (BulkFileAppender appender = store().openAppender(JobFolder.of("job-move"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"id\":\"a\"}\n");
			appender.commit();
		}
		Files.copy(directory.resolve("job-move/Patient-1.ndjson"), directory.resolve("job-move/Patient-2.ndjson"));

		// when / then
		assertThatThrownBy(() -> read(store().find(JobFolder.of("job-move"), "Patient-2.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class);
	}

	@Test
	void aFileCutAtARecordBoundary_failsToRead_insteadOfReadingShort() throws IOException {
		// given: a file of two commits, a record each
		Path onDisk = writeTwoCommits(store(), "job-cut");
		byte[] whole = Files.readAllBytes(onDisk);

		// when: it loses its last bytes, the end record (40 bytes), as a copy or a disk cut short would leave it
		Files.write(onDisk, Arrays.copyOf(whole, whole.length - 40));

		// then: reading fails; it never ends short as if the file were complete
		assertThatThrownBy(() -> read(store().find(JobFolder.of("job-cut"), "Patient-1.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class).hasMessageContaining("BULK-0676");
		// and so does a file cut to nothing, or one with bytes appended after its end
		Files.write(onDisk, new byte[0]);
		assertThatThrownBy(() -> read(store().find(JobFolder.of("job-cut"), "Patient-1.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class).hasMessageContaining("BULK-0676");
		Files.write(onDisk, Arrays.copyOf(whole, whole.length + 1));
		assertThatThrownBy(() -> read(store().find(JobFolder.of("job-cut"), "Patient-1.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class).hasMessageContaining("BULK-0676");
	}

	@Test
	void aFileWithoutItsHeader_doesNotPassForAFileOfTheFirstLayout() throws IOException {
		// given: the header (magic, key id length, 16-character key id) cut off, which would drop the end-record check
		Path onDisk = writeTwoCommits(store(), "job-headless");
		byte[] whole = Files.readAllBytes(onDisk);
		Files.write(onDisk, Arrays.copyOfRange(whole, 4 + 1 + 16, whole.length));

		// when / then
		assertThatThrownBy(() -> read(store().find(JobFolder.of("job-headless"), "Patient-1.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class).hasMessageContaining("BULK-0674");
	}

	@Test
	void keysRotate_filesOfTheOldKeyAreReadWithEncryptionOldKeys_newFilesGetTheNewKey() throws IOException {
		// given: a file written with the first key
		EncryptedFileStore first = new EncryptedFileStore(new LocalFileStore(directory), EncryptionKeys.of(KEY, null));
		writeTwoCommits(first, "job-old");

		// when: the key is changed, the first kept among the old keys, and a new file is written
		EncryptedFileStore rotated = new EncryptedFileStore(new LocalFileStore(directory),
				EncryptionKeys.of(OTHER_KEY, List.of(KEY)));
		writeTwoCommits(rotated, "job-new");

		// then: both read; the new file opens with the new key alone, the old file needs the old key
		assertThat(read(rotated.find(JobFolder.of("job-old"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES);
		assertThat(read(rotated.find(JobFolder.of("job-new"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES);
		EncryptedFileStore newKeyOnly = new EncryptedFileStore(new LocalFileStore(directory),
				EncryptionKeys.of(OTHER_KEY, List.of()));
		assertThat(read(newKeyOnly.find(JobFolder.of("job-new"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES);
		assertThatThrownBy(() -> read(newKeyOnly.find(JobFolder.of("job-old"), "Patient-1.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class).hasMessageContaining("BULK-0677");
		// and an old file resumed after the change goes on with the key it was started with
		try (BulkFileAppender appender = rotated.openAppender(JobFolder.of("job-old"), "Patient-1.ndjson", TWO_LINES.length())) {
			append(appender, "{\"id\":\"c\"}\n");
			appender.commit();
		}
		assertThat(read(first.find(JobFolder.of("job-old"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES + "{\"id\":\"c\"}\n");
	}

	@Test
	void filesWrittenBeforeKeyIds_areStillRead_withTheCurrentOrAnOldKey() throws Exception {
		// given: a file in the first layout (records only: no header, no end record), written with KEY
		Path legacy = directory.resolve("job-legacy/Patient-1.ndjson");
		Files.createDirectories(legacy.getParent());
		try (OutputStream out = Files.newOutputStream(legacy)) {
			long offset = 0;
			for (String line : List.of("{\"id\":\"a\"}\n", "{\"id\":\"b\"}\n")) {
				out.write(legacyRecord(KEY, "job-legacy", "Patient-1.ndjson", offset, line));
				offset += line.length();
			}
		}

		// when / then: read with that key as the current one, or as an old one after a rotation
		assertThat(read(store().find(JobFolder.of("job-legacy"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES);
		assertThat(read(new EncryptedFileStore(new LocalFileStore(directory), EncryptionKeys.of(OTHER_KEY, List.of(KEY)))
				.find(JobFolder.of("job-legacy"), "Patient-1.ndjson").orElseThrow())).isEqualTo(TWO_LINES);
		assertThat(store().find(JobFolder.of("job-legacy"), "Patient-1.ndjson").orElseThrow().length()).isEqualTo(TWO_LINES.length());
	}

	@Test
	void oldKeys_mustBeKeysToo() {
		assertThatThrownBy(() -> EncryptionKeys.of(KEY, List.of("c2hvcnQ="))).hasMessageContaining("BULK-0670")
				.hasMessageContaining("encryption-old-keys");
	}

	private static final String OTHER_KEY = Base64.getEncoder().encodeToString(new byte[] {
			9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9});
	private static final String TWO_LINES = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n";

	private Path writeTwoCommits(BulkFileStore store, String jobId) throws IOException {
		try (BulkFileAppender appender = store.openAppender(JobFolder.of(jobId), "Patient-1.ndjson", 0)) {
			append(appender, "{\"id\":\"a\"}\n");
			appender.commit();
			append(appender, "{\"id\":\"b\"}\n");
			appender.commit();
		}
		return directory.resolve(jobId).resolve("Patient-1.ndjson");
	}

	/** A record as the first layout wrote it: length, nonce, AES-GCM of the text with "job/file@offset" as AAD. */
	private static byte[] legacyRecord(String key, String jobId, String fileName, long offset, String text)
			throws Exception {
		byte[] nonce = new byte[12];
		new java.security.SecureRandom().nextBytes(nonce);
		Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
		cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(key), "AES"),
				new GCMParameterSpec(128, nonce));
		cipher.updateAAD((jobId + "/" + fileName + "@" + offset).getBytes(StandardCharsets.UTF_8));
		byte[] sealed = cipher.doFinal(text.getBytes(StandardCharsets.UTF_8));
		return ByteBuffer.allocate(4 + 12 + sealed.length).putInt(text.length()).put(nonce).put(sealed).array();
	}

	@Test
	void key_mustBeBase64Of256Bits() {
		assertThatThrownBy(() -> EncryptedFileStore.key("c2hvcnQ=")).hasMessageContaining("BULK-0670");
		assertThatThrownBy(() -> EncryptedFileStore.key("not base64!")).hasMessageContaining("BULK-0670");
		assertThat(EncryptedFileStore.key(KEY).getEncoded()).hasSize(32);
	}
}
