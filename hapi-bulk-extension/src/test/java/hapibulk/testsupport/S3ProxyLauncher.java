package hapibulk.testsupport;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Starts the tests' S3 server: s3proxy on a free loopback port over jclouds' filesystem back end in
 * {@code directory}, one bucket, SigV4 credentials. It uses no AWS SDK class, so that the black-box tests
 * (src-it), which talk to the server only through the nodes they start, can share it.
 */
public final class S3ProxyLauncher {

	private S3ProxyLauncher() {}

	/**
	 * A started server, strict as many S3-compatible stores are: a request with an {@code x-amz-} header it does
	 * not implement (a CRC32 checksum, server-side encryption) is answered 501. Its port is
	 * {@link S3Proxy#getPort()}. The caller stops it.
	 */
	public static S3Proxy start(Path directory, String bucket, String accessKey, String secretKey) {
		return start(directory, bucket, accessKey, secretKey, false);
	}

	/** @param lenient accept and ignore headers it does not implement (as AWS accepts the SSE ones) */
	public static S3Proxy start(Path directory, String bucket, String accessKey, String secretKey, boolean lenient) {
		try {
			Files.createDirectories(directory.resolve(bucket));
			Properties properties = new Properties();
			properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
			S3Proxy proxy = S3Proxy.builder()
					.blobStore(ContextBuilder.newBuilder("filesystem").overrides(properties)
							.build(BlobStoreContext.class).getBlobStore())
					.endpoint(URI.create("http://127.0.0.1:0"))
					.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
					.ignoreUnknownHeaders(lenient)
					.build();
			proxy.start();
			while (!"STARTED".equals(proxy.getState())) {
				Thread.sleep(10);
			}
			return proxy;
		} catch (Exception e) {
			throw new IllegalStateException("Cannot start s3proxy in " + directory, e);
		}
	}
}
