package hapibulk.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The access tokens this server issues in mode smart: JWTs signed with the server's own key,
 * carrying the client, its granted scopes and its patient. Nothing is stored: a token is valid
 * while its signature checks and it has not expired (at most 5 minutes).
 */
public class AccessTokens {

	static final JOSEObjectType ACCESS_TOKEN_TYPE = new JOSEObjectType("at+jwt");
	static final String ISSUER = "hapi-bulk";

	private final JWK key;
	private final JWSAlgorithm algorithm;
	private final JWSSigner signer;
	private final JWSVerifier verifier;
	private final Duration lifetime;
	private final Set<String> knownTypes;
	private final Clock clock;

	/**
	 * @param configuredKey a private JWK (EC P-256/P-384 or RSA) as JSON, or null to generate one
	 */
	public AccessTokens(String configuredKey, Duration lifetime, Set<String> knownTypes, Clock clock) {
		try {
			this.key = configuredKey == null || configuredKey.isBlank()
					? new ECKeyGenerator(Curve.P_256).keyID("hapi-bulk-" + UUID.randomUUID()).generate()
					: JWK.parse(configuredKey);
			if (key instanceof ECKey ec) {
				this.algorithm = ECDSAVerifier.SUPPORTED_ALGORITHMS.stream()
						.filter(a -> Curve.forJWSAlgorithm(a).contains(ec.getCurve())).findFirst()
						.orElseThrow(() -> new IllegalArgumentException("Unsupported curve " + ec.getCurve()));
				this.signer = new ECDSASigner(ec);
				this.verifier = new ECDSAVerifier(ec.toPublicJWK());
			} else if (key instanceof RSAKey rsa) {
				this.algorithm = JWSAlgorithm.RS256;
				this.signer = new RSASSASigner(rsa);
				this.verifier = new RSASSAVerifier(rsa.toPublicJWK());
			} else {
				throw new IllegalArgumentException("hapi.bulk.auth.signing-key must be an EC or RSA JWK");
			}
			if (!key.isPrivate()) {
				throw new IllegalArgumentException("hapi.bulk.auth.signing-key must hold the private key");
			}
		} catch (JOSEException | ParseException e) {
			throw new IllegalArgumentException("Unusable hapi.bulk.auth.signing-key: " + e.getMessage(), e);
		}
		this.lifetime = lifetime;
		this.knownTypes = knownTypes;
		this.clock = clock;
	}

	public Duration lifetime() {
		return lifetime;
	}

	public String issue(String clientId, ScopeSet scopes, String patient) {
		Instant now = clock.instant();
		JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
				.issuer(ISSUER)
				.subject(clientId)
				.claim("client_id", clientId)
				.claim("scope", scopes.text().orElse(""))
				.issueTime(Date.from(now))
				.expirationTime(Date.from(now.plus(lifetime)))
				.jwtID(UUID.randomUUID().toString());
		if (patient != null && !patient.isBlank()) {
			claims.claim("patient", patient);
		}
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(ACCESS_TOKEN_TYPE).keyID(key.getKeyID()).build(),
				claims.build());
		try {
			jwt.sign(signer);
		} catch (JOSEException e) {
			throw new IllegalStateException("Cannot sign an access token", e);
		}
		return jwt.serialize();
	}

	/** The grant a token carries, if it is one of ours, intact and unexpired. */
	public Optional<AccessGrant> verify(String token) {
		try {
			SignedJWT jwt = SignedJWT.parse(token);
			if (!algorithm.equals(jwt.getHeader().getAlgorithm()) || !ACCESS_TOKEN_TYPE.equals(jwt.getHeader().getType())
					|| !jwt.verify(verifier)) {
				return Optional.empty();
			}
			JWTClaimsSet claims = jwt.getJWTClaimsSet();
			Date expires = claims.getExpirationTime();
			if (!ISSUER.equals(claims.getIssuer()) || expires == null || !expires.toInstant().isAfter(clock.instant())) {
				return Optional.empty();
			}
			return Optional.of(new AccessGrant(claims.getStringClaim("client_id"),
					ScopeSet.parseLenient(claims.getStringClaim("scope"), knownTypes), claims.getStringClaim("patient"),
					expires.toInstant()));
		} catch (ParseException | JOSEException | IllegalStateException e) {
			return Optional.empty();
		}
	}
}
