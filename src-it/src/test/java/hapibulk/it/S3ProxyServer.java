package hapibulk.it;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real S3 server the cluster nodes share: s3proxy on loopback (a free port) over jclouds' filesystem back
 * end in a directory of the test, one bucket, SigV4 credentials. The nodes reach it through the AWS SDK as
 * they would reach AWS; the test looks into the directory to see what the bucket holds.
 */
final class S3ProxyServer implements AutoCloseable {

	static final String BUCKET = "hapi-bulk-cluster-it";
	private static final String ACCESS_KEY = "cluster-it-access-key";
	private static final String SECRET_KEY = "cluster-it-secret-key";

	private final S3Proxy proxy;
	private final Path directory;

	private S3ProxyServer(S3Proxy proxy, Path directory) {
		this.proxy = proxy;
		this.directory = directory;
	}

	static S3ProxyServer start(Path directory) {
		try {
			Files.createDirectories(directory.resolve(BUCKET));
			java.util.Properties properties = new java.util.Properties();
			properties.setProperty("jclouds.filesystem.basedir", directory.toAbsolutePath().toString());
			S3Proxy proxy = S3Proxy.builder()
					.blobStore(ContextBuilder.newBuilder("filesystem").overrides(properties)
							.build(BlobStoreContext.class).getBlobStore())
					.endpoint(URI.create("http://127.0.0.1:0"))
					.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
					// the filesystem back end stores no encryption: the SSE headers are accepted and ignored
					.ignoreUnknownHeaders(true)
					.build();
			proxy.start();
			while (!"STARTED".equals(proxy.getState())) {
				Thread.sleep(10);
			}
			return new S3ProxyServer(proxy, directory);
		} catch (Exception e) {
			throw new IllegalStateException("Cannot start s3proxy", e);
		}
	}

	/** The node arguments of a store in this bucket under {@code prefix}. */
	List<String> nodeArguments(String prefix) {
		return List.of("--hapi.bulk.storage.type=s3",
				"--hapi.bulk.storage.s3.bucket=" + BUCKET,
				"--hapi.bulk.storage.s3.prefix=" + prefix,
				"--hapi.bulk.storage.s3.region=us-east-1",
				"--hapi.bulk.storage.s3.endpoint=http://127.0.0.1:" + proxy.getPort(),
				"--hapi.bulk.storage.s3.path-style-access=true",
				"--hapi.bulk.storage.s3.access-key-id=" + ACCESS_KEY,
				"--hapi.bulk.storage.s3.secret-access-key=" + SECRET_KEY);
	}

	/** How many objects the bucket holds under a prefix (the filesystem back end keeps one file per object). */
	long objectCount(String prefix) {
		Path root = directory.resolve(BUCKET).resolve(prefix);
		if (!Files.isDirectory(root)) {
			return 0;
		}
		try (Stream<Path> files = Files.walk(root)) {
			return files.filter(Files::isRegularFile).count();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	@Override
	public void close() throws Exception {
		proxy.stop();
	}
}
