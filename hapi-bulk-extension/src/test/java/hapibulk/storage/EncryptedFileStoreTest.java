package hapibulk.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.SecretKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

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

	@Test
	void bytesOnDisk_holdNoPlaintext_whileTheDownloadIsThePlaintext() throws IOException {
		// given
		String plaintext = "{\"resourceType\":\"Patient\",\"id\":\"secret-patient\",\"name\":[{\"family\":\"Doe\"}]}\n";

		// when: written over two commits
		BulkFileStore store = store();
		try (BulkFileAppender appender = store.openAppender("job-enc", "Patient-1.ndjson", 0)) {
			append(appender, plaintext);
			appender.commit();
			append(appender, plaintext);
			appender.commit();
		}

		// then
		byte[] onDisk = Files.readAllBytes(directory.resolve("job-enc").resolve("Patient-1.ndjson"));
		String diskText = new String(onDisk, StandardCharsets.ISO_8859_1);
		assertThat(diskText).doesNotContain("secret-patient").doesNotContain("Patient").doesNotContain("Doe");
		BulkFileStore.StoredFile file = store.find("job-enc", "Patient-1.ndjson").orElseThrow();
		assertThat(read(file)).isEqualTo(plaintext + plaintext);
		assertThat(file.length()).isEqualTo(2L * plaintext.length()).isLessThan(onDisk.length);
	}

	@Test
	void anotherKey_cannotReadTheFile() throws IOException {
		// given
		try (BulkFileAppender appender = store().openAppender("job-key", "Patient-1.ndjson", 0)) {
			append(appender, "{\"id\":\"a\"}\n");
			appender.commit();
		}
		SecretKey other = EncryptedFileStore.key(Base64.getEncoder().encodeToString(new byte[32]));

		// when / then
		BulkFileStore.StoredFile file = new EncryptedFileStore(new LocalFileStore(directory), other)
				.find("job-key", "Patient-1.ndjson").orElseThrow();
		assertThatThrownBy(() -> {
			try (InputStream in = file.open()) {
				in.readAllBytes();
			}
		}).isInstanceOf(IOException.class).hasMessageContaining("BULK-0674");
	}

	@Test
	void aRecordMovedToAnotherFile_doesNotDecrypt() throws IOException {
		// given: the same bytes under another file name (the associated data names the file)
		try (BulkFileAppender appender = store().openAppender("job-move", "Patient-1.ndjson", 0)) {
			append(appender, "{\"id\":\"a\"}\n");
			appender.commit();
		}
		Files.copy(directory.resolve("job-move/Patient-1.ndjson"), directory.resolve("job-move/Patient-2.ndjson"));

		// when / then
		assertThatThrownBy(() -> read(store().find("job-move", "Patient-2.ndjson").orElseThrow()))
				.isInstanceOf(IOException.class);
	}

	@Test
	void key_mustBeBase64Of256Bits() {
		assertThatThrownBy(() -> EncryptedFileStore.key("c2hvcnQ=")).hasMessageContaining("BULK-0670");
		assertThatThrownBy(() -> EncryptedFileStore.key("not base64!")).hasMessageContaining("BULK-0670");
		assertThat(EncryptedFileStore.key(KEY).getEncoded()).hasSize(32);
	}
}
