package hapibulk.testsupport;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;

/**
 * An authorization server for auth mode {@code external}: it signs access tokens (RS256) and serves its JWKS on
 * the loopback interface, where the extension fetches it. Stop it when the test class ends.
 */
public final class TestIdentityProvider implements AutoCloseable {

	public static final String ISSUER = "https://idp.example.org";
	public static final String AUDIENCE = "https://fhir.example.org/fhir";

	private final RSAKey key;
	private final HttpServer jwks;

	public TestIdentityProvider() {
		try {
			key = new RSAKeyGenerator(2048).keyID("idp-1").generate();
			jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
		byte[] body = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
		jwks.createContext("/jwks.json", exchange -> {
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		});
		jwks.start();
	}

	/** The settings of mode external that trust this provider. */
	public void register(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.auth.mode", () -> "external");
		registry.add("hapi.bulk.auth.external.issuer", () -> ISSUER);
		registry.add("hapi.bulk.auth.external.audience", () -> AUDIENCE);
		registry.add("hapi.bulk.auth.external.jwks-url",
				() -> "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json");
	}

	/** A bearer token of {@code client} with these scopes, bound to {@code patient} (or to none: null). */
	public String token(String client, String scope, String patient) {
		JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(client)
				.claim("client_id", client).claim("scope", scope)
				.expirationTime(Date.from(Instant.now().plusSeconds(600)));
		if (patient != null) {
			claims.claim("patient", patient);
		}
		try {
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
					claims.build());
			jwt.sign(new RSASSASigner(key));
			return jwt.serialize();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	@Override
	public void close() {
		jwks.stop(0);
	}
}
