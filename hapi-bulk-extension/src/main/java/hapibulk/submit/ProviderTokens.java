package hapibulk.submit;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import hapibulk.imports.SourceUrls;
import hapibulk.support.BulkJson;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens from a submitter's provider, by SMART Backend Services: a client assertion signed with the key the
 * operator registered for the submitter, exchanged at the provider's token endpoint (the registration's
 * {@code token-url}, or the {@code token_endpoint} of {@code [fhirBaseUrl]/.well-known/smart-configuration}, which
 * must lie under a registered base too). A token is kept until a minute before it expires, per submitter and base.
 */
public class ProviderTokens {

	private static final Duration MARGIN = Duration.ofSeconds(60);
	private static final Duration ASSERTION_LIFETIME = Duration.ofMinutes(5);

	private record Token(String value, Instant expiresAt) {}

	private final ProviderHttp http;
	private final Clock clock;
	private final Map<String, Token> cache = new ConcurrentHashMap<>();

	public ProviderTokens(SubmitSettings settings, Clock clock) {
		this.http = new ProviderHttp(settings.timeout(), 1 << 20);
		this.clock = clock;
	}

	/** A valid token for the submitter at the provider under {@code base}; IOException when none can be had. */
	public String token(SubmitSettings.Submitter submitter, String base) throws IOException {
		String key = submitter.key() + " " + base;
		Token cached = cache.get(key);
		if (cached != null && clock.instant().plus(MARGIN).isBefore(cached.expiresAt())) {
			return cached.value();
		}
		Token fresh = request(submitter, tokenUrl(submitter, base));
		cache.put(key, fresh);
		return fresh.value();
	}

	private URI tokenUrl(SubmitSettings.Submitter submitter, String base) throws IOException {
		if (submitter.tokenUrl() != null && !submitter.tokenUrl().isBlank()) {
			return URI.create(submitter.tokenUrl());
		}
		URI discovery = SourceUrls.normalize(base.replaceAll("/+$", "") + "/.well-known/smart-configuration");
		ProviderHttp.Answer answer = http.get(discovery, Optional.empty());
		if (answer.status() != 200) {
			throw new IOException("the provider's " + discovery + " answered HTTP " + answer.status());
		}
		JsonNode endpoint = BulkJson.MAPPER.readTree(answer.body()).path("token_endpoint");
		if (!endpoint.isTextual()) {
			throw new IOException("the provider's " + discovery + " names no token_endpoint");
		}
		URI url = SourceUrls.normalize(endpoint.asText());
		if (Submitters.baseHolding(submitter, url).isEmpty()) {
			throw new IOException("the provider's token endpoint " + url + " is not under a base URL registered for"
					+ " its submitter");
		}
		return url;
	}

	private Token request(SubmitSettings.Submitter submitter, URI tokenUrl) throws IOException {
		String form = "grant_type=client_credentials&scope=" + encode(submitter.scope())
				+ "&client_assertion_type=" + encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
				+ "&client_assertion=" + encode(assertion(submitter, tokenUrl));
		ProviderHttp.Answer answer = http.postForm(tokenUrl, form);
		JsonNode body = answer.body().isBlank() ? BulkJson.MAPPER.createObjectNode() : BulkJson.MAPPER.readTree(answer.body());
		if (answer.status() != 200 || !body.path("access_token").isTextual()) {
			throw new IOException("the provider's token endpoint " + tokenUrl + " answered HTTP " + answer.status()
					+ (body.path("error").isTextual() ? " (" + body.path("error").asText() + ")" : ""));
		}
		long seconds = body.path("expires_in").asLong(300);
		return new Token(body.path("access_token").asText(), clock.instant().plusSeconds(seconds));
	}

	private String assertion(SubmitSettings.Submitter submitter, URI tokenUrl) throws IOException {
		try {
			JWK key = JWK.parse(Files.readString(submitter.privateKeyFile()));
			JWSSigner signer;
			JWSAlgorithm algorithm;
			if (key instanceof RSAKey rsa) {
				signer = new RSASSASigner(rsa);
				algorithm = JWSAlgorithm.RS384;
			} else if (key instanceof ECKey ec) {
				signer = new ECDSASigner(ec);
				algorithm = JWSAlgorithm.ES384;
			} else {
				throw new IOException("the private key of submitter " + submitter.key() + " is neither RSA nor EC");
			}
			Instant now = clock.instant();
			SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).keyID(key.getKeyID())
					.build(), new JWTClaimsSet.Builder().issuer(submitter.clientId()).subject(submitter.clientId())
					.audience(tokenUrl.toString()).expirationTime(Date.from(now.plus(ASSERTION_LIFETIME)))
					.jwtID(UUID.randomUUID().toString()).build());
			jwt.sign(signer);
			return jwt.serialize();
		} catch (ParseException | JOSEException e) {
			throw new IOException("the private key of submitter " + submitter.key() + " cannot sign: " + e.getMessage(), e);
		}
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}
}
