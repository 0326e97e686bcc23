package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** A SMART Backend Services client as the IG describes it: a key pair, signed assertions, token requests. */
public final class SmartClient {

	public static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	private final String clientId;
	private final JWK key;
	private final JWSAlgorithm algorithm;

	private SmartClient(String clientId, JWK key, JWSAlgorithm algorithm) {
		this.clientId = clientId;
		this.key = key;
		this.algorithm = algorithm;
	}

	public static SmartClient rs384(String clientId, String kid) throws JOSEException {
		return new SmartClient(clientId, new RSAKeyGenerator(2048).keyID(kid).generate(), JWSAlgorithm.RS384);
	}

	public static SmartClient es384(String clientId, String kid) throws JOSEException {
		return new SmartClient(clientId, new ECKeyGenerator(Curve.P_384).keyID(kid).generate(), JWSAlgorithm.ES384);
	}

	/** Another client id with the same key (to impersonate, or to be unregistered). */
	public SmartClient as(String otherClientId) {
		return new SmartClient(otherClientId, key, algorithm);
	}

	public String clientId() {
		return clientId;
	}

	/** The public JWKS, as a client registers it. */
	public String publicJwks() {
		return new JWKSet(key.toPublicJWK()).toString();
	}

	/** A well-formed assertion for {@code tokenUrl}. */
	public String assertion(String tokenUrl) {
		return assertion(tokenUrl, claims -> {}, header -> {});
	}

	public String assertion(String tokenUrl, java.util.function.Consumer<JWTClaimsSet.Builder> claims,
			java.util.function.Consumer<JWSHeader.Builder> header) {
		Instant now = Instant.now();
		JWTClaimsSet.Builder claimsBuilder = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(tokenUrl)
				.expirationTime(Date.from(now.plus(Duration.ofMinutes(4)))).jwtID(UUID.randomUUID().toString());
		claims.accept(claimsBuilder);
		JWSHeader.Builder headerBuilder = new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).type(JOSEObjectType.JWT);
		header.accept(headerBuilder);
		SignedJWT jwt = new SignedJWT(headerBuilder.build(), claimsBuilder.build());
		try {
			jwt.sign(key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key));
		} catch (JOSEException e) {
			throw new IllegalStateException(e);
		}
		return jwt.serialize();
	}

	/** Posts a token request with these form fields. */
	public static HttpResponse<String> requestToken(FhirHttp http, String tokenUrl, Map<String, String> form) {
		String body = form.entrySet().stream()
				.map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
						+ URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
				.collect(Collectors.joining("&"));
		return http.post(tokenUrl, body, "Content-Type", "application/x-www-form-urlencoded", "Accept", "application/json");
	}

	public static Map<String, String> form(String assertion, String scope) {
		Map<String, String> form = new LinkedHashMap<>();
		form.put("grant_type", "client_credentials");
		form.put("client_assertion_type", ASSERTION_TYPE);
		form.put("client_assertion", assertion);
		form.put("scope", scope);
		return form;
	}

	/** A token for {@code scope}, failing the test if the server refuses. */
	public String token(FhirHttp http, String tokenUrl, String scope) {
		HttpResponse<String> response = requestToken(http, tokenUrl, form(assertion(tokenUrl), scope));
		if (response.statusCode() != 200) {
			throw new AssertionError("Token refused for " + clientId + ": " + response.statusCode() + " " + response.body());
		}
		JsonNode json = FhirHttp.json(response);
		return json.get("access_token").asText();
	}

	public static String bearer(String token) {
		return "Bearer " + token;
	}

	static URI uri(String url) {
		return URI.create(url);
	}
}
