package hapibulk.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mode external: JWTs of another authorization server, its JWKS served over real HTTP. */
class ExternalTokensTest {

	static final String ISSUER = "https://idp.example/realms/fhir";

	HttpServer idp;
	RSAKey key;
	ExternalTokens tokens;

	@BeforeEach
	void setUp() throws Exception {
		key = new RSAKeyGenerator(2048).keyID("idp-1").generate();
		byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
		idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		idp.createContext("/jwks", exchange -> {
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, jwks.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(jwks);
			}
		});
		idp.start();
		tokens = new ExternalTokens(new AuthSettings.External(ISSUER,
				"http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks", "hapi-bulk"), ScopeSetTest.TYPES);
	}

	@AfterEach
	void tearDown() {
		idp.stop(0);
	}

	@Test
	void verify_readsClientScopesAndPatient() throws Exception {
		AccessGrant grant = tokens.verify(token(key, c -> c.claim("patient", "p1"))).orElseThrow();
		assertThat(grant.clientId()).isEqualTo("analytics");
		assertThat(grant.patient()).isEqualTo("p1");
		assertThat(grant.scopes().mayRead("Patient")).isTrue();
		assertThat(grant.scopes().mayRead("Condition")).isFalse();
		assertThat(tokens.verify(token(key, c -> c.claim("scope", null).claim("scp", List.of("system/*.read"))))
				.orElseThrow().scopes().readsAllTypes()).isTrue();
	}

	@Test
	void verify_readsTheDeidProfileClaim_asABindingToThatProfile() throws Exception {
		// given tokens the authorization server made for a client it bound to a profile, and for one it did not
		AccessGrant bound = tokens.verify(token(key, c -> c.claim("deid_profile", "safe-harbor"))).orElseThrow();
		AccessGrant free = tokens.verify(token(key, c -> {})).orElseThrow();
		AccessGrant other = new ExternalTokens(new AuthSettings.External(ISSUER,
				"http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks", "hapi-bulk", "research_profile"),
				ScopeSetTest.TYPES).verify(token(key, c -> c.claim("research_profile", "limited"))).orElseThrow();

		// then
		assertThat(bound.deidProfile()).isEqualTo("safe-harbor");
		assertThat(bound.deidBound()).isTrue();
		assertThat(free.deidBound()).isFalse();
		assertThat(other.deidProfile()).isEqualTo("limited");
	}

	@Test
	void verify_refusesWrongIssuerAudienceExpiryAndKey() throws Exception {
		assertThat(tokens.verify(token(key, c -> c.issuer("https://evil.example")))).isEmpty();
		assertThat(tokens.verify(token(key, c -> c.audience("someone-else")))).isEmpty();
		assertThat(tokens.verify(token(key, c -> c.expirationTime(Date.from(Instant.now().minusSeconds(300)))))).isEmpty();
		assertThat(tokens.verify(token(new RSAKeyGenerator(2048).keyID("idp-1").generate(), c -> {}))).isEmpty();
		assertThat(tokens.verify("garbage")).isEmpty();
	}

	@Test
	void externalMode_withoutAudience_refusesToStart() {
		// given: an issuer and its keys, but no audience (a token it made for any other resource server would pass)
		AuthSettings.External noAudience = new AuthSettings.External(ISSUER,
				"http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks", null);

		// when / then
		assertThatThrownBy(() -> new ExternalTokens(noAudience, ScopeSetTest.TYPES))
				.isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hapi.bulk.auth.external.audience");
	}

	@Test
	void verify_acceptsRfc9068AtJwtType_refusesOtherTypes() throws Exception {
		// given / when / then
		assertThat(tokens.verify(token(key, c -> {}, new JOSEObjectType("at+jwt")))).isPresent();
		assertThat(tokens.verify(token(key, c -> {}, JOSEObjectType.JWT))).isPresent();
		assertThat(tokens.verify(token(key, c -> {}, new JOSEObjectType("secevent+jwt")))).isEmpty();
	}

	private static String token(RSAKey signingKey, Consumer<JWTClaimsSet.Builder> changes) throws Exception {
		return token(signingKey, changes, null);
	}

	private static String token(RSAKey signingKey, Consumer<JWTClaimsSet.Builder> changes, JOSEObjectType type)
			throws Exception {
		JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience("hapi-bulk").subject("svc-1")
				.claim("client_id", "analytics").claim("scope", "openid system/Patient.rs system/Observation.read")
				.expirationTime(Date.from(Instant.now().plusSeconds(120)));
		changes.accept(claims);
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID()).type(type).build(),
				claims.build());
		jwt.sign(new RSASSASigner(signingKey));
		return jwt.serialize();
	}
}
