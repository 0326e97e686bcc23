package hapibulk.testsupport;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3Settings;
import org.gaul.s3proxy.S3Proxy;
import org.springframework.util.unit.DataSize;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * A real S3 server for tests: s3proxy on loopback (a free port) over jclouds' filesystem back end in a
 * temporary directory, with one bucket and SigV4 credentials. No mock of the AWS SDK anywhere.
 */
public final class S3TestServer implements AutoCloseable {

	public static final String BUCKET = "hapi-bulk-test";
	public static final String ACCESS_KEY = "test-access-key";
	public static final String SECRET_KEY = "test-secret-key";

	private final S3Proxy proxy;
	private final Path directory;

	private S3TestServer(S3Proxy proxy, Path directory) {
		this.proxy = proxy;
		this.directory = directory;
	}

	/** Strict: it refuses headers it does not implement, server-side encryption among them (hence sse=none). */
	public static S3TestServer start() {
		return start(false);
	}

	/**
	 * @param lenient accept the headers it does not implement and ignore them (its file system cannot encrypt): for
	 *                a test of the SSE headers a store like AWS S3 receives
	 */
	public static S3TestServer start(boolean lenient) {
		try {
			Path directory = Files.createTempDirectory("hapi-bulk-s3");
			return new S3TestServer(S3ProxyLauncher.start(directory, BUCKET, ACCESS_KEY, SECRET_KEY, lenient), directory);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	public URI endpoint() {
		return URI.create("http://127.0.0.1:" + proxy.getPort());
	}

	/** Settings for a store in this server's bucket under {@code prefix}, without SSE (s3proxy cannot encrypt). */
	public S3Settings settings(String prefix, DataSize segmentSize) {
		return new S3Settings(BUCKET, prefix, "us-east-1", endpoint(), true, ACCESS_KEY, SECRET_KEY,
				S3Settings.ServerSideEncryption.NONE, null, segmentSize);
	}

	/** The {@code hapi.bulk.storage.*} properties of a store in this server's bucket. */
	public Properties properties(String prefix) {
		Properties properties = new Properties();
		properties.setProperty("hapi.bulk.storage.type", "s3");
		properties.setProperty("hapi.bulk.storage.s3.bucket", BUCKET);
		properties.setProperty("hapi.bulk.storage.s3.prefix", prefix);
		properties.setProperty("hapi.bulk.storage.s3.endpoint", endpoint().toString());
		properties.setProperty("hapi.bulk.storage.s3.path-style-access", "true");
		properties.setProperty("hapi.bulk.storage.s3.access-key-id", ACCESS_KEY);
		properties.setProperty("hapi.bulk.storage.s3.secret-access-key", SECRET_KEY);
		properties.setProperty("hapi.bulk.storage.s3.sse", "none");
		return properties;
	}

	/** A client of its own, to look into the bucket as an operator would. */
	public S3Client client() {
		return S3Clients.create(settings("", DataSize.ofMegabytes(1)));
	}

	/** The object keys under a prefix (without the folder markers the filesystem back end lists too). */
	public List<String> keys(String prefix) {
		try (S3Client client = client()) {
			return client.listObjectsV2Paginator(request -> request.bucket(BUCKET).prefix(prefix)).contents().stream()
					.map(S3Object::key).filter(key -> !key.endsWith("/")).toList();
		}
	}

	@Override
	public void close() {
		try {
			proxy.stop();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
		try (var paths = Files.walk(directory)) {
			paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
