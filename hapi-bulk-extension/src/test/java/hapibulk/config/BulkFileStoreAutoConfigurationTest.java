package hapibulk.config;

import hapibulk.storage.BulkFileStore;
import hapibulk.storage.DigestingFileStore;
import hapibulk.storage.EncryptedFileStore;
import hapibulk.storage.LocalFileStore;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** Which {@link BulkFileStore} a host gets: by {@code hapi.bulk.storage.*}, or its own bean. */
class BulkFileStoreAutoConfigurationTest {

	private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

	@TempDir
	Path files;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files,
						"hapi.bulk.server-base-url=http://localhost/fhir");
	}

	@Test
	void byDefault_localFiles_andWithAKey_encryptedOnes() {
		runner().run(context -> assertThat(backEnd(context.getBean(BulkFileStore.class)))
				.isExactlyInstanceOf(LocalFileStore.class));
		runner().withPropertyValues("hapi.bulk.storage.encryption-key=" + KEY).run(context -> assertThat(
				backEnd(context.getBean(BulkFileStore.class))).isExactlyInstanceOf(EncryptedFileStore.class));
	}

	@Test
	void typeS3_givesTheS3Store_andRefusesALocalEncryptionKeyBesideIt() {
		String[] s3 = {"hapi.bulk.storage.type=s3", "hapi.bulk.storage.s3.bucket=bulk",
				"hapi.bulk.storage.s3.endpoint=http://127.0.0.1:9", "hapi.bulk.storage.s3.access-key-id=a",
				"hapi.bulk.storage.s3.secret-access-key=b", "hapi.bulk.storage.s3.sse=kms",
				"hapi.bulk.storage.s3.kms-key-id=alias/bulk"};
		runner().withPropertyValues(s3).run(context -> assertThat(backEnd(context.getBean(BulkFileStore.class)))
				.isExactlyInstanceOf(S3FileStore.class));
		runner().withPropertyValues(s3).withPropertyValues("hapi.bulk.storage.encryption-key=" + KEY)
				.run(context -> assertThat(context).hasFailed().getFailure().rootCause()
						.hasMessageContaining("BULK-0675"));
	}

	@Test
	void aHostsOwnStore_replacesOurs() {
		runner().withUserConfiguration(HostStore.class).run(context -> {
			assertThat(context).hasNotFailed().hasSingleBean(BulkFileStore.class);
			assertThat(context.getBean(BulkFileStore.class)).isSameAs(context.getBean("hostFileStore"));
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class HostStore {
		@Bean
		BulkFileStore hostFileStore(@Value("${hapi.bulk.file-directory}") Path files) {
			return new LocalFileStore(files.resolve("host"));
		}
	}

	/** Our stores come wrapped in the digest-while-writing layer; the back end is inside. */
	private static BulkFileStore backEnd(BulkFileStore store) {
		assertThat(store).isExactlyInstanceOf(DigestingFileStore.class);
		return ((DigestingFileStore) store).backEnd();
	}
}
