package hapibulk.auth;

import org.springframework.boot.context.properties.bind.ConstructorBinding;
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
 * @param jkuAllowList  no longer supported (a global list let any key at any listed URL authenticate as any
 *                      client): set at start-up it is an error that names the per-client setting
 * @param tokenLifetime how long an issued access token lives; at most 5 minutes
 * @param signingKey    the JWK (JSON, with its private part) that signs access tokens; when absent a key is
 *                      generated at start-up, so tokens do not survive a restart and nodes do not share them
 * @param external      the authorization server trusted in mode external
 * @param tokenLimits   how much the token endpoint does for one client and one address (mode smart)
 */
public record AuthSettings(
		@DefaultValue("smart") AuthMode mode,
		List<Client> clients,
		List<String> jkuAllowList,
		@DefaultValue("300s") Duration tokenLifetime,
		String signingKey,
		@DefaultValue External external,
		@DefaultValue TokenLimits tokenLimits) {

	public static final Duration MAX_TOKEN_LIFETIME = Duration.ofMinutes(5);

	public AuthSettings {
		clients = clients == null ? List.of() : List.copyOf(clients);
		jkuAllowList = jkuAllowList == null ? List.of() : List.copyOf(jkuAllowList);
		if (!jkuAllowList.isEmpty()) {
			throw new IllegalArgumentException("hapi.bulk.auth.jku-allow-list is no longer supported: it let any key at"
					+ " any listed URL authenticate as any client. Move each URL to the client it belongs to:"
					+ " hapi.bulk.auth.clients[n].jku-allow-list");
		}
		if (tokenLifetime.isNegative() || tokenLifetime.isZero() || tokenLifetime.compareTo(MAX_TOKEN_LIFETIME) > 0) {
			tokenLifetime = MAX_TOKEN_LIFETIME;
		}
	}

	/** Settings for tests and hosts that build them by hand. */
	public static AuthSettings of(AuthMode mode, List<Client> clients) {
		return new AuthSettings(mode, clients, List.of(), MAX_TOKEN_LIFETIME, null, new External(null, null, null),
				TokenLimits.DEFAULTS);
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
	 * @param jkuAllowList further JWKS URLs of this client that its assertions' {@code jku} header may name
	 *                 (its {@code jwks-url} always may)
	 * @param deidProfile a de-identification profile (hapi.bulk.deid.profiles): every export of this client is
	 *                 de-identified with it, whatever it asks, and its other REST requests are refused
	 */
	public record Client(String clientId, String jwks, String jwksUrl, String scopes, String patient,
			List<String> jkuAllowList, String deidProfile) {

		@ConstructorBinding
		public Client {
			jkuAllowList = jkuAllowList == null ? List.of() : List.copyOf(jkuAllowList);
			deidProfile = deidProfile == null || deidProfile.isBlank() ? null : deidProfile.strip();
		}

		public Client(String clientId, String jwks, String jwksUrl, String scopes, String patient,
				List<String> jkuAllowList) {
			this(clientId, jwks, jwksUrl, scopes, patient, jkuAllowList, null);
		}

		public Client(String clientId, String jwks, String jwksUrl, String scopes, String patient) {
			this(clientId, jwks, jwksUrl, scopes, patient, List.of(), null);
		}
	}

	/**
	 * @param issuer   the iss every access token must carry
	 * @param jwksUrl  where the issuer publishes its signing keys
	 * @param audience the aud tokens must name (required: without it a token the issuer made for any
	 *                 other resource server would be accepted here)
	 * @param deidProfileClaim the token claim that binds a client to a de-identification profile (its value a
	 *                 profile's name): the authorization server sets it for the clients it registered as bound
	 */
	public record External(String issuer, String jwksUrl, String audience,
			@DefaultValue("deid_profile") String deidProfileClaim) {

		@ConstructorBinding
		public External {
		}

		public External(String issuer, String jwksUrl, String audience) {
			this(issuer, jwksUrl, audience, "deid_profile");
		}
	}

	/**
	 * Bounds on the token endpoint, so that refused requests cannot be used to load the server, the
	 * database or a client's JWKS host ({@code hapi.bulk.auth.token-limits.*}).
	 *
	 * @param perAddressPerMinute token requests one address may make per minute (then 429)
	 * @param perClientPerMinute  token requests one registered client may make per minute (then 429), counted
	 *                            once its assertion verified, so that others naming it cannot use them up
	 * @param jwksRefetchInterval the least time between two fetches of one client JWKS URL, whatever its
	 *                            Cache-Control says: in between, the copy at hand is used (an unknown kid waits
	 *                            for the next fetch)
	 * @param jwksFetchTimeout    how long a token request waits for a client's JWKS host (connect, answer and
	 *                            body); longer is a refusal, so a slow host cannot hold the server's threads
	 * @param refusalAuditInterval one stored AuditEvent per claimed client, error, reason and address in this time;
	 *                            further refusals are logged and counted, and the count goes into the next one
	 */
	public record TokenLimits(
			@DefaultValue("60") int perAddressPerMinute,
			@DefaultValue("30") int perClientPerMinute,
			@DefaultValue("60s") Duration jwksRefetchInterval,
			@DefaultValue("60s") Duration refusalAuditInterval,
			@DefaultValue("3s") Duration jwksFetchTimeout) {

		public static final TokenLimits DEFAULTS = new TokenLimits(60, 30, Duration.ofSeconds(60), Duration.ofSeconds(60),
				Duration.ofSeconds(3));
	}
}
