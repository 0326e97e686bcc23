package hapibulk.auth;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * {@code hapi.bulk.auth.*}. The default mode is {@code smart} with no clients: every token request
 * is refused, so the FHIR API answers 401 until clients are registered (safe by default). Only an
 * explicit {@code mode=none} opens the server.
 *
 * @param mode          smart, external or none
 * @param clients       the registered backend clients (mode smart)
 * @param jkuAllowList  JWKS URLs a client assertion's {@code jku} header may name (besides the client's own jwks-url)
 * @param tokenLifetime how long an issued access token lives; at most 5 minutes
 * @param signingKey    the JWK (JSON, with its private part) that signs access tokens; when absent a key is
 *                      generated at start-up, so tokens do not survive a restart and nodes do not share them
 * @param external      the authorization server trusted in mode external
 */
public record AuthSettings(
		@DefaultValue("smart") AuthMode mode,
		List<Client> clients,
		List<String> jkuAllowList,
		@DefaultValue("300s") Duration tokenLifetime,
		String signingKey,
		@DefaultValue External external) {

	public static final Duration MAX_TOKEN_LIFETIME = Duration.ofMinutes(5);

	public AuthSettings {
		clients = clients == null ? List.of() : List.copyOf(clients);
		jkuAllowList = jkuAllowList == null ? List.of() : List.copyOf(jkuAllowList);
		if (tokenLifetime.isNegative() || tokenLifetime.isZero() || tokenLifetime.compareTo(MAX_TOKEN_LIFETIME) > 0) {
			tokenLifetime = MAX_TOKEN_LIFETIME;
		}
	}

	/** Settings for tests and hosts that build them by hand. */
	public static AuthSettings of(AuthMode mode, List<Client> clients) {
		return new AuthSettings(mode, clients, List.of(), MAX_TOKEN_LIFETIME, null, new External(null, null, null));
	}

	public boolean enabled() {
		return mode != AuthMode.NONE;
	}

	/**
	 * A registered backend client ({@code hapi.bulk.auth.clients[n].*}).
	 *
	 * @param clientId its {@code client_id}, the {@code iss} and {@code sub} of its assertions
	 * @param jwks     its public keys, as an inline JWKS JSON document, or
	 * @param jwksUrl  the URL of its JWKS
	 * @param scopes   the most it may be granted, space or comma separated ({@code system/*.read})
	 * @param patient  for a patient-scoped client, the only Patient id whose compartment it may reach
	 */
	public record Client(String clientId, String jwks, String jwksUrl, String scopes, String patient) {}

	/**
	 * @param issuer   the {@code iss} every access token must carry
	 * @param jwksUrl  where the issuer publishes its signing keys
	 * @param audience the {@code aud} tokens must name, if set
	 */
	public record External(String issuer, String jwksUrl, String audience) {}
}
