package hapibulk.auth;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class AccessTokensTest {

	@Test
	void issuedToken_carriesClientScopesAndPatient_untilItExpires() throws Exception {
		Instant now = Instant.parse("2026-01-01T00:00:00Z");
		AccessTokens tokens = new AccessTokens(null, Duration.ofSeconds(300), ScopeSetTest.TYPES,
				Clock.fixed(now, ZoneOffset.UTC));
		String token = tokens.issue("c1", ScopeSet.parse("system/Patient.read system/Observation.rs", ScopeSetTest.TYPES),
				"p1");

		AccessGrant grant = tokens.verify(token).orElseThrow();
		assertThat(grant.clientId()).isEqualTo("c1");
		assertThat(grant.patient()).isEqualTo("p1");
		assertThat(grant.scopes().readableTypes()).containsExactly("Observation", "Patient");
		assertThat(grant.expiresAt()).isEqualTo(now.plusSeconds(300));

		AccessTokens restarted = new AccessTokens(null, Duration.ofSeconds(300), ScopeSetTest.TYPES,
				Clock.fixed(now, ZoneOffset.UTC));
		assertThat(restarted.verify(token)).as("a generated key does not survive a restart").isEmpty();
	}

	@Test
	void verify_refusesTamperedExpiredAndForeignTokens() throws Exception {
		Instant now = Instant.now();
		AccessTokens tokens = new AccessTokens(null, Duration.ofSeconds(300), ScopeSetTest.TYPES, Clock.systemUTC());
		String token = tokens.issue("c1", ScopeSet.parse("system/Patient.read", ScopeSetTest.TYPES), null);
		String[] parts = token.split("\\.");
		String forgedClaims = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
				"{\"iss\":\"hapi-bulk\",\"client_id\":\"c1\",\"scope\":\"system/*.*\",\"exp\":9999999999}".getBytes());
		assertThat(tokens.verify(parts[0] + "." + forgedClaims + "." + parts[2])).isEmpty();
		assertThat(tokens.verify("not.a.token")).isEmpty();
		assertThat(tokens.verify(token)).isPresent();

		String key = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("k").generate()
				.toJSONString();
		String issued = new AccessTokens(key, Duration.ofSeconds(300), ScopeSetTest.TYPES, Clock.fixed(now, ZoneOffset.UTC))
				.issue("c1", ScopeSet.parse("system/Patient.read", ScopeSetTest.TYPES), null);
		assertThat(new AccessTokens(key, Duration.ofSeconds(300), ScopeSetTest.TYPES,
				Clock.fixed(now.plusSeconds(299), ZoneOffset.UTC)).verify(issued)).as("configured key, in time").isPresent();
		assertThat(new AccessTokens(key, Duration.ofSeconds(300), ScopeSetTest.TYPES,
				Clock.fixed(now.plusSeconds(300), ZoneOffset.UTC)).verify(issued)).as("expired").isEmpty();
	}

	@Test
	void lifetime_isAtMostFiveMinutes() {
		AuthSettings settings = new AuthSettings(AuthMode.SMART, null, null, Duration.ofHours(1), null,
				new AuthSettings.External(null, null, null), AuthSettings.TokenLimits.DEFAULTS);
		assertThat(settings.tokenLifetime()).isEqualTo(Duration.ofMinutes(5));
	}
}
