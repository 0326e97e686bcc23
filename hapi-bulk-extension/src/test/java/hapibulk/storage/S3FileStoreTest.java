package hapibulk.storage;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.storage.s3.S3Settings;
import hapibulk.testsupport.S3TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract on a real S3 server (s3proxy on loopback), and how part files lie in the bucket. */
class S3FileStoreTest extends BulkFileStoreContract {

	private static final AtomicInteger stores = new AtomicInteger();
	private static S3TestServer server;

	@BeforeAll
	static void startServer() {
		server = S3TestServer.start();
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	/** Each store under a prefix of its own; small segments, so that chunks span several. */
	/** The prefix of the last store made (each store has its own). */
	private String lastPrefix;

	@Override
	BulkFileStore store() {
		lastPrefix = "bulk-" + stores.incrementAndGet();
		S3Settings settings = server.settings(lastPrefix, DataSize.ofKilobytes(512));
		return new S3FileStore(S3Clients.create(settings), settings);
	}

	@Override
	List<String> storedUnder(String folder) {
		String root = lastPrefix + "/";
		return server.keys(root + folder).stream().map(key -> key.substring(root.length())).toList();
	}

	@Test
	void aPartFile_isOneSegmentObjectPerCommit_keyedByItsStartOffset() throws IOException {
		// given
		String prefix = "layout-" + stores.incrementAndGet();
		S3Settings settings = server.settings(prefix + "/", DataSize.ofMegabytes(1));

		// when
		try (S3FileStore store = new S3FileStore(S3Clients.create(settings), settings);
				BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0)) {
			append(appender, "{\"a\":1}\n");
			appender.commit();
			append(appender, "{\"b\":2}\n");
			appender.commit();
		}

		// then
		assertThat(server.keys(prefix + "/")).containsExactly(
				prefix + "/job1/Patient-1.ndjson/00000000000000000000",
				prefix + "/job1/Patient-1.ndjson/00000000000000000008");
	}

	@Test
	void deleteAll_ofAJobWithManySegmentObjects_removesThemAll() throws IOException {
		// given: 20 part files of 3 segments each (s3proxy once timed out deleting the folders it lists as keys)
		String prefix = "many-" + stores.incrementAndGet() + "/";
		S3Settings settings = server.settings(prefix, DataSize.ofMegabytes(1));
		S3FileStore store = new S3FileStore(S3Clients.create(settings), settings);
		for (int file = 1; file <= 20; file++) {
			long length = 0;
			for (int chunk = 0; chunk < 3; chunk++) {
				try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), "Type" + file + "-1.ndjson", length)) {
					append(appender, "{\"chunk\":" + chunk + "}\n");
					length = appender.commit();
				}
			}
		}
		assertThat(server.keys(prefix)).hasSize(60);

		// when
		store.deleteAll(JobFolder.of("job1"));

		// then
		assertThat(server.keys(prefix)).isEmpty();
		assertThat(store.bytesHeld(JobFolder.of("job1"))).isZero();
	}

	@Test
	void writersOpenAtOnce_eachKeepTheirOwnBytes_whenTheyReuseBuffersOfEarlierChunks() throws IOException {
		// given: a first chunk of two part files, so that the next chunks' writers get those buffers back
		String prefix = "reuse-" + stores.incrementAndGet() + "/";
		S3Settings settings = server.settings(prefix, DataSize.ofMegabytes(1));
		S3FileStore store = new S3FileStore(S3Clients.create(settings), settings);
		long patients;
		long observations;
		try (BulkFileAppender patient = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0);
				BulkFileAppender observation = store.openAppender(JobFolder.of("job1"), "Observation-1.ndjson", 0)) {
			append(patient, "{\"p\":\"a much longer first line of the first chunk\"}\n");
			append(observation, "{\"o\":\"a much longer first line of the first chunk\"}\n");
			patients = patient.commit();
			observations = observation.commit();
		}

		// when: the next chunks write shorter lines, interleaved
		try (BulkFileAppender patient = store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", patients);
				BulkFileAppender observation = store.openAppender(JobFolder.of("job1"), "Observation-1.ndjson", observations)) {
			append(patient, "{\"p\":2}\n");
			append(observation, "{\"o\":2}\n");
			append(patient, "{\"p\":3}\n");
			observation.commit();
			patient.commit();
		}

		// then
		assertThat(read(store.find(JobFolder.of("job1"), "Patient-1.ndjson").orElseThrow()))
				.isEqualTo("{\"p\":\"a much longer first line of the first chunk\"}\n{\"p\":2}\n{\"p\":3}\n");
		assertThat(read(store.find(JobFolder.of("job1"), "Observation-1.ndjson").orElseThrow()))
				.isEqualTo("{\"o\":\"a much longer first line of the first chunk\"}\n{\"o\":2}\n");
	}

	@Test
	void everyStoredObject_asksTheServerToEncryptIt_AES256WhenNothingIsSet_orKmsWithItsKey() throws IOException {
		// given: a store that accepts the SSE headers (as AWS does; s3proxy ignores them when lenient)
		try (S3TestServer lenient = S3TestServer.start(true)) {
			// and settings as a host binds them without any sse setting, and kms ones with a key
			String prefix = "sse-" + stores.incrementAndGet() + "/";
			S3Settings unset = new Binder(new MapConfigurationPropertySource(Map.of("s3.bucket", S3TestServer.BUCKET,
					"s3.prefix", prefix, "s3.region", "us-east-1", "s3.endpoint", lenient.endpoint().toString(),
					"s3.path-style-access", "true", "s3.access-key-id", S3TestServer.ACCESS_KEY, "s3.secret-access-key",
					S3TestServer.SECRET_KEY))).bindOrCreate("s3", S3Settings.class);
			S3Settings kms = new S3Settings(S3TestServer.BUCKET, prefix, "us-east-1", lenient.endpoint(), true,
					S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY, S3Settings.ServerSideEncryption.KMS, "alias/bulk-phi",
					DataSize.ofKilobytes(1));

			// when: part files are written (several segments, over several commits)
			RequestHeaders byDefault = new RequestHeaders();
			RequestHeaders withKms = new RequestHeaders();
			writeSegments(new S3FileStore(S3Clients.create(unset, List.of(byDefault)), unset), "Patient-1.ndjson");
			writeSegments(new S3FileStore(S3Clients.create(kms, List.of(withKms)), kms), "Patient-2.ndjson");

			// then: every object stored carried the header, as sent on the wire
			assertThat(unset.sse()).isEqualTo(S3Settings.ServerSideEncryption.S3);
			assertThat(byDefault.of("PutObject")).hasSizeGreaterThanOrEqualTo(2).allSatisfy(headers -> {
				assertThat(headers).containsEntry("x-amz-server-side-encryption", List.of("AES256"));
				assertThat(headers).doesNotContainKey("x-amz-server-side-encryption-aws-kms-key-id");
			});
			assertThat(withKms.of("PutObject")).hasSizeGreaterThan(2).allSatisfy(headers -> {
				assertThat(headers).containsEntry("x-amz-server-side-encryption", List.of("aws:kms"));
				assertThat(headers).containsEntry("x-amz-server-side-encryption-aws-kms-key-id", List.of("alias/bulk-phi"));
			});
			// and no object goes up another way (a multipart upload would need the header on its creation)
			assertThat(byDefault.of("CreateMultipartUpload")).isEmpty();
			assertThat(withKms.of("CreateMultipartUpload")).isEmpty();
		}
	}

	@Test
	void deletingSegments_sendsContentMd5_notTheChecksumHeadersAStrictStoreRefuses() throws IOException {
		// given: a part file of several segments in this test's strict s3proxy (501 on x-amz-checksum-crc32)
		String prefix = "md5-" + stores.incrementAndGet() + "/";
		S3Settings settings = server.settings(prefix, DataSize.ofKilobytes(1));
		RequestHeaders sent = new RequestHeaders();
		S3FileStore store = new S3FileStore(S3Clients.create(settings, List.of(sent)), settings);
		writeSegments(store, "Patient-1.ndjson");

		// when: the file is resumed at its start (its segments deleted), and the job deleted
		store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0).close();
		writeSegments(store, "Patient-1.ndjson");
		store.deleteAll(JobFolder.of("job1"));

		// then: both DeleteObjects calls went through, with Content-MD5 and no x-amz-checksum-* header
		assertThat(server.keys(prefix)).isEmpty();
		assertThat(sent.of("DeleteObjects")).hasSize(2).allSatisfy(headers -> {
			assertThat(headers).containsKey("content-md5");
			assertThat(headers.keySet()).noneMatch(name -> name.startsWith("x-amz-checksum")
					|| name.startsWith("x-amz-sdk-checksum"));
		});
	}

	private static void writeSegments(S3FileStore store, String fileName) throws IOException {
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), fileName, 0)) {
			append(appender, "{\"a\":\"" + "x".repeat(1500) + "\"}\n");
			appender.commit();
			append(appender, "{\"b\":2}\n");
			appender.commit();
		}
	}

	/** The headers of each request as the SDK sends it (after signing), by operation. */
	static final class RequestHeaders implements ExecutionInterceptor {
		private final List<Map.Entry<String, Map<String, List<String>>>> sent = new CopyOnWriteArrayList<>();

		@Override
		public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
			Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
			context.httpRequest().headers().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values));
			sent.add(Map.entry(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), headers));
		}

		List<Map<String, List<String>>> of(String operation) {
			return sent.stream().filter(entry -> entry.getKey().equals(operation)).map(Map.Entry::getValue).toList();
		}
	}

	@Test
	void settings_withoutABucket_orWithAKmsKeyButNoKms_areRefused() {
		S3Settings noBucket = new S3Settings(null, "", null, server.endpoint(), true, "a", "b",
				S3Settings.ServerSideEncryption.NONE, null, DataSize.ofMegabytes(8));
		S3Settings kmsKeyWithoutKms = new S3Settings("b", "", null, server.endpoint(), true, "a", "b",
				S3Settings.ServerSideEncryption.S3, "alias/bulk", DataSize.ofMegabytes(8));
		S3Settings keyWithoutSecret = new S3Settings("b", "", null, server.endpoint(), true, "a", null,
				S3Settings.ServerSideEncryption.NONE, null, DataSize.ofMegabytes(8));

		assertThatThrownBy(() -> S3Clients.create(noBucket)).hasMessageContaining("BULK-0671");
		assertThatThrownBy(() -> S3Clients.create(kmsKeyWithoutKms)).hasMessageContaining("BULK-0672");
		assertThatThrownBy(() -> S3Clients.create(keyWithoutSecret)).hasMessageContaining("BULK-0673");
	}

	@Test
	void aBucketThatDoesNotExist_failsTheAppend_withIOException() {
		S3Settings settings = new S3Settings("no-such-bucket", "", "us-east-1", server.endpoint(), true,
				S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY, S3Settings.ServerSideEncryption.NONE, null,
				DataSize.ofMegabytes(8));
		S3FileStore store = new S3FileStore(S3Clients.create(settings), settings);

		assertThatThrownBy(() -> store.openAppender(JobFolder.of("job1"), "Patient-1.ndjson", 0)).isInstanceOf(IOException.class);
	}
}
