package hapibulk.storage.s3;

import hapibulk.support.BulkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

import java.util.List;
import java.util.function.Consumer;

/** Builds the S3 client of {@code hapi.bulk.storage.s3.*} and the server-side encryption of each object. */
public final class S3Clients {

	private static final Logger LOG = LoggerFactory.getLogger(S3Clients.class);

	private S3Clients() {}

	public static S3Client create(S3Settings settings) {
		return create(settings, List.of());
	}

	/** @param interceptors see every request the client sends (tests check the headers that reach the server) */
	public static S3Client create(S3Settings settings, List<ExecutionInterceptor> interceptors) {
		if (settings.bucket() == null || settings.bucket().isBlank()) {
			throw new IllegalStateException(BulkErrors.code(671)
					+ "hapi.bulk.storage.type=s3 needs hapi.bulk.storage.s3.bucket");
		}
		if (settings.sse() != S3Settings.ServerSideEncryption.KMS && settings.kmsKeyId() != null) {
			throw new IllegalStateException(BulkErrors.code(672)
					+ "hapi.bulk.storage.s3.kms-key-id is set but hapi.bulk.storage.s3.sse is not kms");
		}
		if (settings.sse() == S3Settings.ServerSideEncryption.NONE) {
			LOG.warn("{}hapi.bulk.storage.s3.sse=none: bulk files (PHI) are stored in bucket {} without asking the"
					+ " server to encrypt them; only the bucket's own default encryption, if any, applies. Set sse=s3"
					+ " (the default) or kms where the store supports it (docs/storage.md).", BulkErrors.code(679),
					settings.bucket());
		}
		S3ClientBuilder builder = S3Client.builder()
				.httpClient(UrlConnectionHttpClient.builder().build())
				.credentialsProvider(credentials(settings))
				.forcePathStyle(settings.pathStyleAccess())
				// S3-compatible servers often lack the newer checksum trailers; send them where S3 requires them.
				.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
				.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)

				// Over plain http the SDK signs every body; with chunked encoding it frames the body as aws-chunked,
				// which servers must decode chunk by chunk (s3proxy spent more CPU on it than the export on its JSON).
				// Our bodies are byte arrays of known length, so one plain signed body costs the SDK one more pass
				// over memory and every S3-compatible server reads it. Over https nothing is signed or framed anyway.
				.serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
				.overrideConfiguration(override -> {
					// DeleteObjects with Content-MD5, which AWS and every S3-compatible store accept, instead of the
					// SDK's x-amz-checksum-crc32, which strict ones refuse (501)
					override.addExecutionInterceptor(new ContentMd5OnDeletes());
					interceptors.forEach(override::addExecutionInterceptor);
				});
		if (settings.endpoint() != null) {
			builder.endpointOverride(settings.endpoint());
		}
		if (settings.region() != null && !settings.region().isBlank()) {
			builder.region(Region.of(settings.region()));
		} else if (settings.endpoint() != null) {
			builder.region(Region.US_EAST_1);
		}
		return builder.build();
	}

	private static AwsCredentialsProvider credentials(S3Settings settings) {
		if (settings.accessKeyId() == null || settings.accessKeyId().isBlank()) {
			return DefaultCredentialsProvider.builder().build();
		}
		if (settings.secretAccessKey() == null) {
			throw new IllegalStateException(BulkErrors.code(673)
					+ "hapi.bulk.storage.s3.access-key-id is set without hapi.bulk.storage.s3.secret-access-key");
		}
		return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKeyId(),
				settings.secretAccessKey()));
	}

	/** What every stored object asks of the server: {@code hapi.bulk.storage.s3.sse}. */
	static Consumer<PutObjectRequest.Builder> encryption(S3Settings settings) {
		return switch (settings.sse()) {
			case NONE -> request -> {};
			case S3 -> request -> request.serverSideEncryption(ServerSideEncryption.AES256);
			case KMS -> request -> {
				request.serverSideEncryption(ServerSideEncryption.AWS_KMS);
				if (settings.kmsKeyId() != null && !settings.kmsKeyId().isBlank()) {
					request.ssekmsKeyId(settings.kmsKeyId());
				}
			};
		};
	}
}
