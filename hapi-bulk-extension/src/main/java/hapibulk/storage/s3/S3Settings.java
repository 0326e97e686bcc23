package hapibulk.storage.s3;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.net.URI;

/**
 * hapi.bulk.storage.s3.*: the bucket that holds bulk files when hapi.bulk.storage.type=s3.
 *
 * @param bucket          the bucket (must exist; the extension never creates one)
 * @param prefix          a key prefix for every object (hapi-bulk/); empty: the bucket's root
 * @param region          the bucket's region; unset: the SDK's region chain (AWS_REGION, profile, instance),
 *                        or us-east-1 when an endpoint is set (most S3-compatible servers ignore it)
 * @param endpoint        an S3-compatible server (http://127.0.0.1:9000); unset: AWS
 * @param pathStyleAccess whether buckets are addressed as endpoint/bucket/key instead of
 *                        bucket.endpoint/key (most S3-compatible servers need it)
 * @param accessKeyId     static credentials; unset: the SDK's default chain (environment AWS_ACCESS_KEY_ID
 *                        / AWS_SECRET_ACCESS_KEY, system properties, profiles, container and instance roles)
 * @param secretAccessKey the secret of accessKeyId
 * @param sse             server-side encryption of every object: s3 (SSE-S3, AES256; the default), kms
 *                        (SSE-KMS, with kmsKeyId or the account's default KMS key) or none (for stores
 *                        that refuse the header; a start-up WARN says PHI goes unencrypted)
 * @param kmsKeyId        the KMS key (id, alias or ARN) for sse=kms
 * @param segmentSize     the most one segment object holds; a chunk writing more is stored as several
 *                        (bounds the memory a writing partition holds)
 */
public record S3Settings(
		String bucket,
		@DefaultValue("") String prefix,
		String region,
		URI endpoint,
		@DefaultValue("false") boolean pathStyleAccess,
		String accessKeyId,
		String secretAccessKey,
		@DefaultValue("s3") ServerSideEncryption sse,
		String kmsKeyId,
		@DefaultValue("8MB") DataSize segmentSize) {

	/** {@code hapi.bulk.storage.s3.sse}. */
	public enum ServerSideEncryption { NONE, S3, KMS }

	public static S3Settings defaults() {
		return new S3Settings(null, "", null, null, false, null, null, ServerSideEncryption.S3, null,
				DataSize.ofMegabytes(8));
	}
}
