package hapibulk.storage;

import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.TestHapiServerConfig;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/** Export and import jobs with local files encrypted at rest ({@code hapi.bulk.storage.encryption-key}). */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class, StoredFilesJobContract.Faults.class})
class EncryptedStorageJobTest extends StoredFilesJobContract {

	static final Path files = temp("hapi-bulk-encrypted-files");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", files::toString);
		byte[] key = new byte[32];
		new java.security.SecureRandom().nextBytes(key);
		registry.add("hapi.bulk.storage.encryption-key", () -> Base64.getEncoder().encodeToString(key));
	}

	@Override
	List<String> storedNames(JobFolder job) throws IOException {
		Path directory = files.resolve(job.path());
		if (!Files.exists(directory)) {
			return List.of();
		}
		try (Stream<Path> paths = Files.list(directory)) {
			return paths.map(path -> path.getFileName().toString()).toList();
		}
	}

	@Override
	byte[] bytesAtRest(JobFolder job, String fileName) throws IOException {
		return Files.readAllBytes(files.resolve(job.path()).resolve(fileName));
	}

	/** A byte of the ciphertext: the record no longer authenticates. */
	@Override
	void changeOneByteAtRest(JobFolder job, String fileName) throws IOException {
		Path file = files.resolve(job.path()).resolve(fileName);
		byte[] bytes = Files.readAllBytes(file);
		bytes[bytes.length / 2] ^= 1;
		Files.write(file, bytes);
	}

	@Override
	boolean encryptedAtRest() {
		return true;
	}
}
