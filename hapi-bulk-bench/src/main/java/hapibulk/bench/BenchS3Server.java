package hapibulk.bench;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.storage.s3.S3Settings;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.shaded.org.eclipse.jetty.server.Server;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.springframework.util.unit.DataSize;

import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * An S3 server in this process (s3proxy on loopback, filesystem back end), and our store on it. Every
 * request it receives is counted by operation ({@link #requests()}).
 */
final class BenchS3Server implements AutoCloseable {

	private static final String BUCKET = "bench";
	private static final String PREFIX = "bulk/";
	private static final String KEY = "bench-access-key";
	private static final String SECRET = "bench-secret-key";

	private final S3Proxy proxy;
	private final S3RequestCounter counter = new S3RequestCounter();

	BenchS3Server(Path directory) throws Exception {
		Files.createDirectories(directory.resolve(BUCKET));
		Properties properties = new Properties();
		properties.setProperty("jclouds.filesystem.basedir", directory.toString());
		proxy = S3Proxy.builder()
				.blobStore(ContextBuilder.newBuilder("filesystem").overrides(properties).build(BlobStoreContext.class)
						.getBlobStore())
				.endpoint(URI.create("http://127.0.0.1:0"))
				.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET)
				.ignoreUnknownHeaders(true)
				.build();
		// s3proxy offers no hook for its HTTP side: the counter goes in front of its handler in its Jetty server.
		Field server = S3Proxy.class.getDeclaredField("server");
		server.setAccessible(true);
		((Server) server.get(proxy)).insertHandler(counter);
		proxy.start();
		while (!"STARTED".equals(proxy.getState())) {
			Thread.sleep(10);
		}
	}

	/** Our S3 store on this server, as {@code hapi.bulk.storage.type=s3} with default segment size would make it. */
	S3FileStore store() {
		S3Settings settings = new S3Settings(BUCKET, PREFIX, "us-east-1", endpoint(), true, KEY, SECRET,
				S3Settings.ServerSideEncryption.NONE, null, DataSize.ofMegabytes(8));
		return new S3FileStore(S3Clients.create(settings), settings);
	}

	/** The same store as settings, for another process (a cluster worker) or a context of this one. */
	Map<String, String> storeSettings() {
		return Map.of("hapi.bulk.storage.type", "s3",
				"hapi.bulk.storage.s3.bucket", BUCKET,
				"hapi.bulk.storage.s3.prefix", PREFIX,
				"hapi.bulk.storage.s3.region", "us-east-1",
				"hapi.bulk.storage.s3.endpoint", endpoint().toString(),
				"hapi.bulk.storage.s3.path-style-access", "true",
				"hapi.bulk.storage.s3.access-key-id", KEY,
				"hapi.bulk.storage.s3.secret-access-key", SECRET);
	}

	/** Requests received so far, by operation: PUT, GET, LIST, DELETE, HEAD, POST. */
	Map<String, Long> requests() {
		return counter.snapshot();
	}

	static List<String> operations() {
		return List.of("PUT", "GET", "LIST", "DELETE", "HEAD", "POST");
	}

	private URI endpoint() {
		return URI.create("http://127.0.0.1:" + proxy.getPort());
	}

	@Override
	public void close() throws Exception {
		proxy.stop();
	}
}
