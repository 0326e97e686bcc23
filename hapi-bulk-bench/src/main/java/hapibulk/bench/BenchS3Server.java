package hapibulk.bench;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.storage.s3.S3Settings;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.springframework.util.unit.DataSize;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** An S3 server in this process (s3proxy on loopback, filesystem back end), and our store on it. */
final class BenchS3Server implements AutoCloseable {

	private static final String BUCKET = "bench";
	private static final String KEY = "bench-access-key";
	private static final String SECRET = "bench-secret-key";

	private final S3Proxy proxy;

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
		proxy.start();
		while (!"STARTED".equals(proxy.getState())) {
			Thread.sleep(10);
		}
	}

	/** Our S3 store on this server, as {@code hapi.bulk.storage.type=s3} with default segment size would make it. */
	S3FileStore store() {
		S3Settings settings = new S3Settings(BUCKET, "bulk/", "us-east-1",
				URI.create("http://127.0.0.1:" + proxy.getPort()), true, KEY, SECRET,
				S3Settings.ServerSideEncryption.NONE, null, DataSize.ofMegabytes(8));
		return new S3FileStore(S3Clients.create(settings), settings);
	}

	@Override
	public void close() throws Exception {
		proxy.stop();
	}
}
