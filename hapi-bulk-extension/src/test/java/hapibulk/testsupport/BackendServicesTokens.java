package hapibulk.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.testsupport.RestfulServerClient.Answer;

import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Access tokens from the server's own token endpoint (mode smart), as a SMART Backend Services client gets them:
 * an RS384 client assertion signed with one RSA key, whose public half the test registers as the clients' JWKS.
 */
public final class BackendServicesTokens {

	private static final ObjectMapper JSON = new ObjectMapper();

	private final RSAKey key;

	public BackendServicesTokens() {
		try {
			this.key = new RSAKeyGenerator(2048).keyID("k1").generate();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	/** The public key as a JWKS, for {@code hapi.bulk.auth.clients[n].jwks}. */
	public String jwks() {
		return new JWKSet(key.toPublicJWK()).toString();
	}

	/** A token for the client with the scope, asserting it got one (200). */
	public String token(RestfulServerClient anonymous, String clientId, String scope) {
		try {
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS384).keyID(key.getKeyID()).build(),
					new JWTClaimsSet.Builder().issuer(clientId).subject(clientId)
							.audience(RestfulServerClient.BASE + "/auth/token")
							.expirationTime(Date.from(Instant.now().plusSeconds(240))).jwtID(UUID.randomUUID().toString())
							.build());
			jwt.sign(new RSASSASigner(key));
			Answer answer = anonymous.postForm("auth/token", Map.of("grant_type", "client_credentials",
					"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
					"client_assertion", jwt.serialize(), "scope", scope));
			assertThat(answer.status()).as(answer.body()).isEqualTo(200);
			return JSON.readTree(answer.body()).path("access_token").asText();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}
}
