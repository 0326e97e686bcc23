package hapibulk.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.audit.BulkAudit;
import hapibulk.metrics.BulkMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token endpoint counts the tokens it issues and the requests it refuses, by reason, never by client. */
class TokenEndpointMetersTest {

	static final String TOKEN_URL = "https://fhir.example.org/fhir/auth/token";

	@Test
	void token_issuedAndRefused_areCounted() throws Exception {
		// given: a registered client that may ask for 2 tokens a minute
		RSAKey key = new RSAKeyGenerator(2048).keyID("k1").generate();
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:jti-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		jdbc.execute(JtiReplayGuard.createTableSql());
		RegisteredClients clients = new RegisteredClients(List.of(new AuthSettings.Client("analytics",
				new JWKSet(key.toPublicJWK()).toString(), null, "system/Patient.rs", null)), ScopeSetTest.TYPES);
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		BulkMetrics metrics = BulkMetrics.on(registry);
		BulkAudit audit = new BulkAudit(null, null, Clock.systemUTC());
		// The limiters count per wall-clock minute: on the real clock the third request could fall into a fresh
		// minute and be let through. A clock standing still in mid-minute keeps the four requests in one window.
		Clock midMinute = Clock.fixed(Instant.parse("2026-01-01T12:00:30Z"), ZoneOffset.UTC);
		TokenEndpoint endpoint = new TokenEndpoint(new ClientAssertionVerifier(clients, new JwksCache(Clock.systemUTC()),
				new JtiReplayGuard(jdbc, Clock.systemUTC()), Clock.systemUTC()),
				new AccessTokens(null, Duration.ofSeconds(300), ScopeSetTest.TYPES, Clock.systemUTC()), ScopeSetTest.TYPES,
				audit, clients, new RateLimiter(1000, 100, midMinute), new RateLimiter(2, 100, midMinute),
				new TokenRefusals(audit, Duration.ofMinutes(1), Clock.systemUTC(), metrics), metrics);

		// when: two good requests, one asking for a scope not registered, one over the client's limit
		endpoint.token(form(assertion(key), "system/Patient.rs"), TOKEN_URL, "10.0.0.1");
		endpoint.token(form(assertion(key), "system/Patient.rs"), TOKEN_URL, "10.0.0.1");
		assertThatThrownBy(() -> endpoint.token(form(assertion(key), "system/Patient.rs"), TOKEN_URL, "10.0.0.1"))
				.isInstanceOf(OAuthError.class);
		assertThatThrownBy(() -> endpoint.token(form("not-a-jwt", "system/Patient.rs"), TOKEN_URL, "10.0.0.2"))
				.isInstanceOf(OAuthError.class);

		// then
		assertThat(registry.get("hapi.bulk.tokens.issued").counter().count()).isEqualTo(2);
		assertThat(registry.get("hapi.bulk.tokens.refused").tag("reason", "too_many_requests").counter().count())
				.isEqualTo(1);
		assertThat(registry.get("hapi.bulk.tokens.refused").tag("reason", "invalid_client").counter().count())
				.isEqualTo(1);
	}

	private static Map<String, String> form(String assertion, String scope) {
		return Map.of("grant_type", "client_credentials", "client_assertion_type", TokenEndpoint.JWT_BEARER,
				"client_assertion", assertion, "scope", scope);
	}

	private static String assertion(RSAKey key) throws Exception {
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(key.getKeyID()).build(),
				new JWTClaimsSet.Builder().issuer("analytics").subject("analytics").audience(TOKEN_URL)
						.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString())
						.build());
		jwt.sign(new RSASSASigner(key));
		return jwt.serialize();
	}
}
