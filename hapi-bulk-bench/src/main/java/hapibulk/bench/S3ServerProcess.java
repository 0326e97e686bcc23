package hapibulk.bench;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.shaded.org.eclipse.jetty.server.Server;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The benchmark's S3 server as a process of its own ({@link BenchS3Server} starts it): s3proxy with a
 * filesystem back end on a loopback port, every request counted. It ends when its parent closes its
 * standard input (or dies), so a benchmark that fails leaves no server behind.
 *
 * <p>Arguments: the directory for the bucket, the port, the bucket name, the access key and the secret key.
 */
final class S3ServerProcess {

	private S3ServerProcess() {}

	public static void main(String[] args) throws Exception {
		Path directory = Path.of(args[0]);
		int port = Integer.parseInt(args[1]);
		Files.createDirectories(directory.resolve(args[2]));
		Properties properties = new Properties();
		properties.setProperty("jclouds.filesystem.basedir", directory.toString());
		S3Proxy proxy = S3Proxy.builder()
				.blobStore(ContextBuilder.newBuilder("filesystem").overrides(properties).build(BlobStoreContext.class)
						.getBlobStore())
				.endpoint(URI.create("http://127.0.0.1:" + port))
				.awsAuthentication(AuthenticationType.AWS_V2_OR_V4, args[3], args[4])
				// Strict, as many S3-compatible stores are (501 for an x-amz- header it does not implement); the
				// stores of BenchS3Server send no SSE header (sse=none), since s3proxy cannot encrypt.
				.ignoreUnknownHeaders(false)
				.build();
		// s3proxy offers no hook for its HTTP side: the counter goes in front of its handler in its Jetty server.
		Field server = S3Proxy.class.getDeclaredField("server");
		server.setAccessible(true);
		((Server) server.get(proxy)).insertHandler(new S3RequestCounter());
		proxy.start();
		while (!"STARTED".equals(proxy.getState())) {
			Thread.sleep(10);
		}
		System.out.println("started");
		try {
			while (System.in.read() >= 0) {
				// the parent writes nothing; end of input means it is gone
			}
		} catch (IOException parentGone) {
			// as above
		}
		proxy.stop();
		System.exit(0);
	}
}
