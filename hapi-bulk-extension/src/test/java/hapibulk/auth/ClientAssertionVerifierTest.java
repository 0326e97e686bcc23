package hapibulk.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every rule of RFC 7523 §3 / SMART Backend Services that the verifier applies, one by one. */
class ClientAssertionVerifierTest {

	static final String TOKEN_URL = "https://fhir.example/fhir/auth/token";

	RSAKey rsa;
	ECKey ec;
	ClientAssertionVerifier verifier;

	@BeforeEach
	void setUp() throws Exception {
		rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
		ec = new ECKeyGenerator(Curve.P_384).keyID("ec").generate();
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:jti-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute(JtiReplayGuard.createTableSql());
		RegisteredClients clients = new RegisteredClients(List.of(
				new AuthSettings.Client("rsa-client", new JWKSet(rsa.toPublicJWK()).toString(), null, "system/*.read", null),
				new AuthSettings.Client("ec-client", new JWKSet(ec.toPublicJWK()).toString(), null, "system/*.read", "p1")),
				ScopeSetTest.TYPES);
		verifier = new ClientAssertionVerifier(clients, List.of(), new JwksCache(Clock.systemUTC()),
				new JtiReplayGuard(jdbc, Clock.systemUTC()), Clock.systemUTC());
	}

	@Test
	void verify_acceptsRs384AndEs384() throws Exception {
		assertThat(verifier.verify(rsaAssertion(c -> {}, h -> {}), TOKEN_URL).clientId()).isEqualTo("rsa-client");
		assertThat(verifier.verify(ecAssertion(c -> {}), TOKEN_URL).patient()).isEqualTo("p1");
	}

	@Test
	void verify_refusesEachBrokenRule() throws Exception {
		Instant now = Instant.now();
		assertRefused(rsaAssertion(c -> c.expirationTime(Date.from(now.minusSeconds(120))), h -> {}), "expired");
		assertRefused(rsaAssertion(c -> c.expirationTime(null), h -> {}), "no exp");
		assertRefused(rsaAssertion(c -> c.expirationTime(Date.from(now.plusSeconds(900))), h -> {}), "5 minutes");
		assertRefused(rsaAssertion(c -> c.audience("https://other/token"), h -> {}), "aud");
		assertRefused(rsaAssertion(c -> c.subject("x"), h -> {}), "sub");
		assertRefused(rsaAssertion(c -> c.issuer("nobody").subject("nobody"), h -> {}), "Unknown client");
		assertRefused(rsaAssertion(c -> c.jwtID(null), h -> {}), "jti");
		assertRefused(rsaAssertion(c -> {}, h -> h.keyID("other")), "kid");
		assertRefused(rsaAssertion(c -> c.notBeforeTime(Date.from(now.plusSeconds(120))), h -> {}), "not valid yet");
		assertRefused(rsaAssertion(c -> {}, h -> h.jwkURL(java.net.URI.create("https://evil.example/jwks"))),
				"not allow-listed");
		// Signed by another key under the registered kid
		RSAKey other = new RSAKeyGenerator(2048).keyID("rsa").generate();
		assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").build(), claims("rsa-client").build(),
				new RSASSASigner(other)), "signature");
		// The EC client's kid claimed with an RSA algorithm: no key fits
		assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("ec").build(), claims("ec-client").build(),
				new RSASSASigner(rsa)), "fits");
		assertRefused("garbage", "not a signed JWT");
	}

	@Test
	void verify_takesKeysFromAnAllowListedJku() throws Exception {
		RSAKey jkuKey = new RSAKeyGenerator(2048).keyID("jku-key").generate();
		com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
				new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		JwksCacheTest.serve(server, "/jwks", new JWKSet(jkuKey.toPublicJWK()).toString(), "max-age=60",
				new java.util.concurrent.atomic.AtomicInteger());
		server.start();
		try {
			String jku = "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
			JdbcDataSource dataSource = new JdbcDataSource();
			dataSource.setURL("jdbc:h2:mem:jti-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			jdbc.execute(JtiReplayGuard.createTableSql());
			ClientAssertionVerifier withAllowList = new ClientAssertionVerifier(new RegisteredClients(List.of(
					new AuthSettings.Client("rsa-client", new JWKSet(rsa.toPublicJWK()).toString(), null, "system/*.read",
							null)), ScopeSetTest.TYPES), List.of(jku), new JwksCache(Clock.systemUTC()),
					new JtiReplayGuard(jdbc, Clock.systemUTC()), Clock.systemUTC());
			String assertion = sign(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("jku-key")
					.jwkURL(java.net.URI.create(jku)).build(), claims("rsa-client").build(), new RSASSASigner(jkuKey));
			assertThat(withAllowList.verify(assertion, TOKEN_URL).clientId()).isEqualTo("rsa-client");
		} finally {
			server.stop(0);
		}
	}

	@Test
	void verify_refusesAReplayedJti() throws Exception {
		String assertion = rsaAssertion(c -> {}, h -> {});
		verifier.verify(assertion, TOKEN_URL);
		assertRefused(assertion, "already used");
	}

	private void assertRefused(String assertion, String reason) {
		assertThatThrownBy(() -> verifier.verify(assertion, TOKEN_URL)).isInstanceOf(OAuthError.class)
				.hasMessageContaining(reason)
				.satisfies(e -> assertThat(((OAuthError) e).error()).isEqualTo("invalid_client"));
	}

	private JWTClaimsSet.Builder claims(String client) {
		return new JWTClaimsSet.Builder().issuer(client).subject(client).audience(TOKEN_URL)
				.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString());
	}

	private String rsaAssertion(Consumer<JWTClaimsSet.Builder> claims, Consumer<JWSHeader.Builder> header) throws Exception {
		JWTClaimsSet.Builder c = claims("rsa-client");
		claims.accept(c);
		JWSHeader.Builder h = new JWSHeader.Builder(JWSAlgorithm.RS384).keyID("rsa").type(JOSEObjectType.JWT);
		header.accept(h);
		return sign(h.build(), c.build(), new RSASSASigner(rsa));
	}

	private String ecAssertion(Consumer<JWTClaimsSet.Builder> claims) throws Exception {
		JWTClaimsSet.Builder c = claims("ec-client");
		claims.accept(c);
		return sign(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("ec").build(), c.build(), new ECDSASigner(ec));
	}

	private static String sign(JWSHeader header, JWTClaimsSet claims, com.nimbusds.jose.JWSSigner signer) throws Exception {
		SignedJWT jwt = new SignedJWT(header, claims);
		jwt.sign(signer);
		return jwt.serialize();
	}
}
