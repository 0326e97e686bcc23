package hapibulk.it;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.InputStream;
import java.security.KeyStore;

/**
 * One TLS handshake offering a single protocol, in a JVM of its own (so that the JDK's own
 * disabled protocols can be set for it): {@code TlsProbe host port protocol truststore password}.
 * Prints {@code OK <protocol>} or {@code FAIL <exception>}.
 */
public final class TlsProbe {

	private TlsProbe() {}

	public static void main(String[] args) throws Exception {
		KeyStore trust = KeyStore.getInstance("PKCS12");
		try (InputStream in = new FileInputStream(args[3])) {
			trust.load(in, args[4].toCharArray());
		}
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trust);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, trustManagers.getTrustManagers(), null);
		try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(args[0], Integer.parseInt(args[1]))) {
			SSLParameters parameters = socket.getSSLParameters();
			parameters.setProtocols(new String[] {args[2]});
			socket.setSSLParameters(parameters);
			socket.setSoTimeout(10_000);
			socket.startHandshake();
			System.out.println("OK " + socket.getSession().getProtocol());
		} catch (Exception e) {
			System.out.println("FAIL " + e);
		}
	}
}
