package hapibulk.auth;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Mode external: access tokens are JWTs from another authorization server, checked against its
 * issuer and JWKS URL (Nimbus caches and refreshes that JWKS). The client is {@code client_id}
 * (else {@code azp}, else {@code sub}); scopes come from {@code scope} (or {@code scp}); a
 * {@code patient} claim makes the client patient-scoped. Scopes this server does not know are ignored.
 * The audience is required: an issuer serves several resource servers, and a token for one of
 * them must not open this one. Header {@code typ} may be {@code JWT} or RFC 9068's {@code at+jwt}.
 */
public class ExternalTokens implements TokenVerifier {

	private static final Logger LOG = LoggerFactory.getLogger(ExternalTokens.class);

	private static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");

	private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
	private final Set<String> knownTypes;
	private final String deidProfileClaim;

	public ExternalTokens(AuthSettings.External settings, Set<String> knownTypes) {
		if (settings.issuer() == null || settings.issuer().isBlank() || settings.jwksUrl() == null
				|| settings.jwksUrl().isBlank()) {
			throw new IllegalArgumentException(
					"hapi.bulk.auth.mode=external needs hapi.bulk.auth.external.issuer and hapi.bulk.auth.external.jwks-url");
		}
		if (settings.audience() == null || settings.audience().isBlank()) {
			throw new IllegalArgumentException("hapi.bulk.auth.mode=external needs hapi.bulk.auth.external.audience (the"
					+ " aud your authorization server puts in tokens for this server): without it a token the issuer"
					+ " made for any other resource server would be accepted here");
		}
		JWKSource<SecurityContext> keys;
		try {
			keys = JWKSourceBuilder.create(URI.create(settings.jwksUrl()).toURL()).build();
		} catch (MalformedURLException | IllegalArgumentException e) {
			throw new IllegalArgumentException("hapi.bulk.auth.external.jwks-url is not a URL: " + settings.jwksUrl(), e);
		}
		// RFC 9068 access tokens are typed at+jwt; plain JWT (or no typ) is what most servers still send.
		processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, AT_JWT,
				new JOSEObjectType("application/at+jwt"), null));
		processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ClientAssertionVerifier.ALGORITHMS, keys));
		// Mutable sets: Nimbus asks them contains(null), which Set.of answers with an exception.
		processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
				new HashSet<>(List.of(settings.audience())),
				new JWTClaimsSet.Builder().issuer(settings.issuer()).build(), new HashSet<>(List.of("exp")), null));
		this.knownTypes = knownTypes;
		this.deidProfileClaim = settings.deidProfileClaim();
	}

	@Override
	public Optional<AccessGrant> verify(String token) {
		try {
			JWTClaimsSet claims = processor.process(token, null);
			String client = first(claims.getStringClaim("client_id"), claims.getStringClaim("azp"), claims.getSubject());
			String scope = claims.getClaim("scope") instanceof String s ? s
					: claims.getClaim("scp") instanceof List<?> list ? String.join(" ", list.stream().map(String::valueOf).toList())
					: claims.getStringClaim("scp");
			// The claim the authorization server sets on the tokens of clients it bound to a profile.
			String deidProfile = deidProfileClaim == null || deidProfileClaim.isBlank() ? null
					: claims.getStringClaim(deidProfileClaim);
			return Optional.of(new AccessGrant(client, ScopeSet.parseLenient(scope, knownTypes),
					claims.getStringClaim("patient"), claims.getExpirationTime().toInstant(),
					deidProfile == null || deidProfile.isBlank() ? null : deidProfile));
		} catch (ParseException | BadJOSEException | com.nimbusds.jose.JOSEException e) {
			LOG.debug("Refused an external access token: {}", e.getMessage());
			return Optional.empty();
		}
	}

	private static String first(String... values) {
		for (String value : values) {
			if (value != null && !value.isBlank()) {
				return value;
			}
		}
		return null;
	}
}
