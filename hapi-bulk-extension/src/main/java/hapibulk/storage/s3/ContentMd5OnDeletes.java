package hapibulk.storage.s3;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.interceptor.SdkInternalExecutionAttribute;
import software.amazon.awssdk.core.interceptor.trait.HttpChecksum;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.utils.Md5Utils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code DeleteObjects} with {@code Content-MD5}, the integrity header S3 has always accepted for it, instead of the
 * {@code x-amz-checksum-crc32} the SDK (2.30 and later) sends there even with checksums "when required": strict
 * S3-compatible stores (s3proxy, older Ceph RGW and MinIO) answer 501 NotImplemented to that header. The operation's
 * checksum requirement is dropped before the SDK computes its checksums, and the MD5 of the body added instead.
 */
final class ContentMd5OnDeletes implements ExecutionInterceptor {

	@Override
	public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
		if (context.request() instanceof DeleteObjectsRequest) {
			attributes.putAttribute(SdkInternalExecutionAttribute.HTTP_CHECKSUM, HttpChecksum.builder()
					.requestChecksumRequired(false).build());
			attributes.putAttribute(SdkExecutionAttribute.RESOLVED_CHECKSUM_SPECS, null);
			attributes.putAttribute(SdkInternalExecutionAttribute.HTTP_CHECKSUM_REQUIRED, null);
		}
	}

	@Override
	public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
		if (!(context.request() instanceof DeleteObjectsRequest) || context.requestBody().isEmpty()) {
			return context.httpRequest();
		}
		try (InputStream body = context.requestBody().get().contentStreamProvider().newStream()) {
			String md5 = Md5Utils.md5AsBase64(body);
			return context.httpRequest().toBuilder().putHeader("Content-MD5", md5).build();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
