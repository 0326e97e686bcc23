package hapibulk.export;

import ca.uhn.fhir.rest.server.RestfulServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every check of {@link ExportKickOffConformanceChecks} in auth mode {@code smart}: each request carries the
 * bearer token an ES384 backend-services client got from the token endpoint, as a certification run does (with
 * write scopes too, so that the {@code $import} kick-off checks reach the request's parameters).
 */
class ExportKickOffConformanceSmartTest extends ExportKickOffConformanceChecks {

	private static final String CLIENT_ID = "conformance-suite";
	private static final ECKey KEY = generateKey();

	@DynamicPropertySource
	static void smartMode(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> CLIENT_ID);
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> new JWKSet(KEY.toPublicJWK()).toString());
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/*.read system/*.write");
		registry.add("hapi.bulk.auth.token-limits.per-client-per-minute", () -> "0");
	}

	@Override
	String clientId() {
		return CLIENT_ID;
	}

	@Override
	RestfulServerClient client(RestfulServer server) {
		RestfulServerClient anonymous = super.client(server);
		Answer token = anonymous.postForm("auth/token", Map.of("grant_type", "client_credentials",
				"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
				"client_assertion", assertion(), "scope", "system/*.read system/*.write"));
		assertThat(token.status()).as(token.body()).isEqualTo(200);
		return anonymous.withHeaders("Authorization", "Bearer " + accessToken(token.body()));
	}

	private static String assertion() {
		try {
			JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(CLIENT_ID).subject(CLIENT_ID)
					.audience(RestfulServerClient.BASE + "/auth/token").jwtID(UUID.randomUUID().toString())
					.expirationTime(Date.from(Instant.now().plusSeconds(240))).build();
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(KEY.getKeyID()).build(), claims);
			jwt.sign(new ECDSASigner(KEY));
			return jwt.serialize();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}

	private static String accessToken(String tokenResponse) {
		try {
			return new ObjectMapper().readTree(tokenResponse).path("access_token").asText();
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static ECKey generateKey() {
		try {
			return new ECKeyGenerator(Curve.P_384).keyID("conformance-key").generate();
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
	}
}
