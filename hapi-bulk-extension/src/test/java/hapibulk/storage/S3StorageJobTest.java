package hapibulk.storage;

import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.S3TestServer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.ByteArrayOutputStream;
import java.util.List;

/** Export and import jobs with {@code hapi.bulk.storage.type=s3}, on a real S3 server (s3proxy on loopback). */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class, StoredFilesJobContract.Faults.class})
class S3StorageJobTest extends StoredFilesJobContract {

	private static final String PREFIX = "exports/";
	static final S3TestServer server = S3TestServer.start();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", () -> temp("hapi-bulk-s3-unused").toString());
		server.properties(PREFIX).forEach((name, value) -> registry.add((String) name, () -> value));
		// Small segments: a chunk of a part file is stored as several objects.
		registry.add("hapi.bulk.storage.s3.segment-size", () -> "64KB");
	}

	@AfterAll
	void stopServer() {
		server.close();
	}

	@Override
	List<String> storedNames(JobFolder job) {
		return server.keys(PREFIX + job.path() + "/");
	}

	/** The file's segment objects, joined in key order. */
	@Override
	byte[] bytesAtRest(JobFolder job, String fileName) {
		ByteArrayOutputStream joined = new ByteArrayOutputStream();
		try (S3Client s3 = server.client()) {
			for (String key : server.keys(PREFIX + job.path() + "/" + fileName + "/")) {
				joined.writeBytes(s3.getObjectAsBytes(request -> request.bucket(S3TestServer.BUCKET).key(key))
						.asByteArray());
			}
		}
		return joined.toByteArray();
	}

	/** The first segment object replaced by one with a byte changed (what a bit flip or a tamperer leaves). */
	@Override
	void changeOneByteAtRest(JobFolder job, String fileName) {
		try (S3Client s3 = server.client()) {
			String key = server.keys(PREFIX + job.path() + "/" + fileName + "/").get(0);
			byte[] bytes = s3.getObjectAsBytes(request -> request.bucket(S3TestServer.BUCKET).key(key)).asByteArray();
			bytes[bytes.length / 2] ^= 1;
			s3.putObject(request -> request.bucket(S3TestServer.BUCKET).key(key),
					software.amazon.awssdk.core.sync.RequestBody.fromBytes(bytes));
		}
	}

	@Override
	boolean encryptedAtRest() {
		return false;
	}
}
