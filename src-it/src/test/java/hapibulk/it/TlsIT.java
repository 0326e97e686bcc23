package hapibulk.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The WAR over HTTPS as docs/security.md configures it ({@code server.ssl.enabled-protocols=TLSv1.2,TLSv1.3}):
 * a TLS 1.1 handshake is refused, TLS 1.2 works. The server's and the probing client's JVMs get
 * TLS 1.0/1.1 re-enabled at the JDK level, so that the refusal is the server's configuration and
 * not merely the JDK's default.
 */
class TlsIT {

	/** The JDK's default list without TLSv1 and TLSv1.1. */
	static final String DISABLED = "SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL";
	static final String PASSWORD = "changeit";

	@TempDir
	static Path workDir;
	static WarProcess server;
	static ItDatabase database;
	static SSLContext trustingTestCertificate;
	static int port;
	static Path keyStore;
	static Path securityOverride;

	@BeforeAll
	static void start() throws Exception {
		keyStore = workDir.resolve("server.p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
				"-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
				"-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
				.redirectErrorStream(true).start();
		assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
		securityOverride = workDir.resolve("java.security");
		Files.writeString(securityOverride, "jdk.tls.disabledAlgorithms=" + DISABLED + "\n");

		KeyStore trust = KeyStore.getInstance("PKCS12");
		try (InputStream in = new FileInputStream(keyStore.toFile())) {
			trust.load(in, PASSWORD.toCharArray());
		}
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trust);
		trustingTestCertificate = SSLContext.getInstance("TLS");
		trustingTestCertificate.init(null, trustManagers.getTrustManagers(), null);

		port = WarProcess.freePort();
		database = ItDatabase.fresh(workDir);
		FhirHttp https = new FhirHttp("https://localhost:" + port + "/fhir", HttpClient.newBuilder()
				.sslContext(trustingTestCertificate).connectTimeout(Duration.ofSeconds(10)).build());
		server = WarProcess.start(workDir, port, database, List.of("-Djava.security.properties=" + securityOverride),
				https,
				"--server.ssl.enabled=true",
				"--server.ssl.key-store=" + keyStore,
				"--server.ssl.key-store-type=PKCS12",
				"--server.ssl.key-store-password=" + PASSWORD,
				"--server.ssl.enabled-protocols=TLSv1.2,TLSv1.3");
	}

	@AfterAll
	static void stop() throws Exception {
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
	}

	@Test
	void tls11Handshake_isRefusedByTheServer() throws Exception {
		// The server's protocol_version alert: the client did offer TLS 1.1, the server refused it.
		assertThat(probe("TLSv1.1")).startsWith("FAIL").contains("protocol_version");
		assertThat(probe("TLSv1")).startsWith("FAIL").contains("protocol_version");
	}

	@Test
	void tls12Handshake_andHttps_work() throws Exception {
		assertThat(probe("TLSv1.2")).isEqualTo("OK TLSv1.2");
		assertThat(server.http().get("metadata", "Accept", "application/fhir+json").statusCode()).isEqualTo(200);
	}

	/** A handshake offering only {@code protocol}, from a JVM with TLS 1.0/1.1 enabled. */
	private static String probe(String protocol) throws Exception {
		Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Djava.security.properties=" + securityOverride, "-cp", System.getProperty("java.class.path"),
				TlsProbe.class.getName(), "localhost", Integer.toString(port), protocol, keyStore.toString(), PASSWORD)
				.redirectErrorStream(true).start();
		String output = new String(probe.getInputStream().readAllBytes()).trim();
		probe.waitFor();
		return output.lines().reduce((first, last) -> last).orElse("");
	}
}
