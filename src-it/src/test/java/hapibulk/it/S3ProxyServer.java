package hapibulk.it;

import hapibulk.testsupport.S3ProxyLauncher;
import org.gaul.s3proxy.S3Proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
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
		return new S3ProxyServer(S3ProxyLauncher.start(directory, BUCKET, ACCESS_KEY, SECRET_KEY), directory);
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
				"--hapi.bulk.storage.s3.secret-access-key=" + SECRET_KEY,
				// s3proxy (strict, as many S3-compatible stores) refuses the SSE headers: it cannot encrypt
				"--hapi.bulk.storage.s3.sse=none");
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
