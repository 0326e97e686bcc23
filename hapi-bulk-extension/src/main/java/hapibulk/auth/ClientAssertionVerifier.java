package hapibulk.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Authenticates a backend client by its {@code client_assertion} (RFC 7523 §3, SMART Backend
 * Services): a JWS signed with one of the client's registered keys, {@code iss} = {@code sub} =
 * its client id, {@code aud} = the token URL, {@code exp} at most 5 minutes ahead, a {@code jti}
 * never seen before. Every failure is {@code invalid_client}.
 */
public class ClientAssertionVerifier {

	public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS384, JWSAlgorithm.ES384,
			JWSAlgorithm.RS256, JWSAlgorithm.RS512, JWSAlgorithm.ES256, JWSAlgorithm.ES512,
			JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);
	private static final Duration MAX_AHEAD = Duration.ofMinutes(5);
	/** Tolerated clock difference between client and server. */
	private static final Duration SKEW = Duration.ofSeconds(30);
	/** Fetches take at most seconds (their time-out): a client refused for a full fetch pool may try again soon. */
	private static final Duration BUSY_RETRY_AFTER = Duration.ofSeconds(5);

	private final RegisteredClients clients;
	private final JwksCache jwksCache;
	private final JtiReplayGuard replayGuard;
	private final Clock clock;

	public ClientAssertionVerifier(RegisteredClients clients, JwksCache jwksCache, JtiReplayGuard replayGuard,
			Clock clock) {
		this.clients = clients;
		this.jwksCache = jwksCache;
		this.replayGuard = replayGuard;
		this.clock = clock;
	}

	/** The {@code iss} an assertion claims, unverified (to pick the rate limit it counts against); null if unreadable. */
	public static String claimedClient(String assertion) {
		try {
			return SignedJWT.parse(assertion).getJWTClaimsSet().getIssuer();
		} catch (ParseException e) {
			return null;
		}
	}

	/** The authenticated client, or {@code invalid_client} saying what was wrong. */
	public RegisteredClients.Registered verify(String assertion, String tokenUrl) throws OAuthError {
		SignedJWT jwt;
		JWTClaimsSet claims;
		try {
			jwt = SignedJWT.parse(assertion);
			claims = jwt.getJWTClaimsSet();
		} catch (ParseException e) {
			throw OAuthError.invalidClient("client_assertion is not a signed JWT");
		}
		JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
		if (!ALGORITHMS.contains(algorithm)) {
			throw OAuthError.invalidClient("Unsupported client_assertion alg " + algorithm + " (use RS384 or ES384)");
		}
		String kid = jwt.getHeader().getKeyID();
		if (kid == null || kid.isBlank()) {
			throw OAuthError.invalidClient("The client_assertion header has no kid");
		}
		RegisteredClients.Registered client = clients.find(claims.getIssuer())
				.orElseThrow(() -> OAuthError.invalidClient("Unknown client: iss '" + claims.getIssuer()
						+ "' is not a registered client_id"));
		JWK key = key(client, jwt, kid, algorithm);
		try {
			if (!jwt.verify(verifier(key))) {
				throw OAuthError.invalidClient("The client_assertion signature does not verify with key '" + kid + "'");
			}
		} catch (JOSEException e) {
			throw OAuthError.invalidClient("The client_assertion signature cannot be checked: " + e.getMessage());
		}
		checkClaims(client, claims, tokenUrl);
		return client;
	}

	private void checkClaims(RegisteredClients.Registered client, JWTClaimsSet claims, String tokenUrl)
			throws OAuthError {
		if (!client.clientId().equals(claims.getSubject())) {
			throw OAuthError.invalidClient("sub must equal iss (the client_id)");
		}
		if (claims.getAudience() == null || !claims.getAudience().contains(tokenUrl)) {
			throw OAuthError.invalidClient("aud must be the token URL " + tokenUrl);
		}
		Instant now = clock.instant();
		Date exp = claims.getExpirationTime();
		if (exp == null) {
			throw OAuthError.invalidClient("The client_assertion has no exp");
		}
		if (!exp.toInstant().plus(SKEW).isAfter(now)) {
			throw OAuthError.invalidClient("The client_assertion has expired");
		}
		if (exp.toInstant().isAfter(now.plus(MAX_AHEAD).plus(SKEW))) {
			throw OAuthError.invalidClient("The client_assertion's exp is more than 5 minutes ahead");
		}
		Date nbf = claims.getNotBeforeTime();
		Date iat = claims.getIssueTime();
		if ((nbf != null && nbf.toInstant().isAfter(now.plus(SKEW))) || (iat != null && iat.toInstant().isAfter(now.plus(SKEW)))) {
			throw OAuthError.invalidClient("The client_assertion is not valid yet (nbf/iat in the future)");
		}
		String jti = claims.getJWTID();
		if (jti == null || jti.isBlank() || jti.length() > 256) {
			throw OAuthError.invalidClient("The client_assertion needs a jti (at most 256 characters)");
		}
		if (!replayGuard.firstUse(client.clientId(), jti, exp.toInstant().plus(SKEW))) {
			throw OAuthError.invalidClient("This client_assertion jti was already used");
		}
	}

	/**
	 * SMART's key resolution: a {@code jku} only if it is one of this client's own key sets (its
	 * jwks-url or its jku-allow-list: a global list would let any key there sign for every client),
	 * else the registered keys; exactly one key fits. An unknown {@code kid} refetches a key set at
	 * most once per {@link JwksCache} interval, so invented kids cannot make us hammer the client's host.
	 */
	private JWK key(RegisteredClients.Registered client, SignedJWT jwt, String kid, JWSAlgorithm algorithm)
			throws OAuthError {
		String jku = jwt.getHeader().getJWKURL() == null ? null : jwt.getHeader().getJWKURL().toString();
		String url = client.jwksUrl();
		if (jku != null) {
			if (!client.ownsJku(jku)) {
				throw OAuthError.invalidClient("jku " + jku + " is not one of this client's allow-listed JWKS URLs");
			}
			url = jku;
		}
		if (url == null) {
			return fitting(client.jwks(), kid, algorithm);
		}
		try {
			JWKSet cached = jwksCache.get(url, false);
			try {
				return fitting(cached, kid, algorithm);
			} catch (OAuthError notFoundInCached) {
				// The client may have rotated its keys since the cached copy: look once more, unless we just did.
				Optional<JWKSet> refetched = jwksCache.refetch(url);
				if (refetched.isEmpty()) {
					throw notFoundInCached;
				}
				return fitting(refetched.get(), kid, algorithm);
			}
		} catch (JwksCache.Busy e) {
			throw OAuthError.temporarilyUnavailable("The server is busy fetching client keys; try again shortly",
					BUSY_RETRY_AFTER);
		} catch (IOException e) {
			throw OAuthError.invalidClient("Cannot fetch the client's JWKS: " + e.getMessage());
		}
	}

	private static JWK fitting(JWKSet jwks, String kid, JWSAlgorithm algorithm) throws OAuthError {
		List<JWK> keys = jwks.getKeys().stream().filter(k -> kid.equals(k.getKeyID())).filter(k -> fits(k, algorithm))
				.toList();
		if (keys.size() != 1) {
			throw OAuthError.invalidClient(keys.isEmpty() ? "No registered key with kid '" + kid + "' fits " + algorithm
					: "Several registered keys have kid '" + kid + "'");
		}
		return keys.get(0);
	}

	private static boolean fits(JWK key, JWSAlgorithm algorithm) {
		if (key.getAlgorithm() != null && !key.getAlgorithm().equals(algorithm)) {
			return false;
		}
		if (key instanceof RSAKey) {
			return JWSAlgorithm.Family.RSA.contains(algorithm);
		}
		return key instanceof ECKey ec && Curve.forJWSAlgorithm(algorithm) != null
				&& Curve.forJWSAlgorithm(algorithm).contains(ec.getCurve());
	}

	private static JWSVerifier verifier(JWK key) throws JOSEException {
		return key instanceof RSAKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECKey) key);
	}
}
