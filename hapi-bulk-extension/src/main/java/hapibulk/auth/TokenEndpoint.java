package hapibulk.auth;

import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.metrics.BulkMetrics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * SMART Backend Services' token endpoint: {@code client_credentials} with a JWT
 * {@code client_assertion} in, a short-lived bearer token with the granted scopes out. Issued
 * tokens are audited; refusals through {@link TokenRefusals} (coalesced). Requests are limited per
 * address and per named client before any key is fetched or signature checked (429).
 */
public class TokenEndpoint {

	public static final String PATH = "auth/token";
	static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	private final ClientAssertionVerifier assertions;
	private final AccessTokens tokens;
	private final Set<String> knownTypes;
	private final BulkAudit audit;
	private final RegisteredClients clients;
	private final RateLimiter perAddress;
	private final RateLimiter perClient;
	private final TokenRefusals refusals;
	private final BulkMetrics metrics;

	/** @param metrics counts issued tokens ({@code hapi.bulk.tokens.issued}); refusals count themselves */
	public TokenEndpoint(ClientAssertionVerifier assertions, AccessTokens tokens, Set<String> knownTypes,
			BulkAudit audit, RegisteredClients clients, RateLimiter perAddress, RateLimiter perClient,
			TokenRefusals refusals, BulkMetrics metrics) {
		this.assertions = assertions;
		this.tokens = tokens;
		this.knownTypes = knownTypes;
		this.audit = audit;
		this.clients = clients;
		this.perAddress = perAddress;
		this.perClient = perClient;
		this.refusals = refusals;
		this.metrics = metrics;
	}

	/** The RFC 6749 §5.1 success body. */
	public record TokenResponse(String accessToken, long expiresIn, String scope) {}

	/**
	 * @param form     the form parameters (first value of each)
	 * @param tokenUrl this endpoint's absolute URL, which assertions must name as {@code aud}
	 * @param address  the caller's address, for the audit
	 */
	public TokenResponse token(Map<String, String> form, String tokenUrl, String address) throws OAuthError {
		String clientId = null;
		String claimed = null;
		try {
			limit(perAddress, address == null ? "-" : address, "this address");
			if (!"client_credentials".equals(form.get("grant_type"))) {
				throw new OAuthError("unsupported_grant_type", "grant_type must be client_credentials");
			}
			if (!JWT_BEARER.equals(form.get("client_assertion_type"))) {
				throw OAuthError.invalidRequest("client_assertion_type must be " + JWT_BEARER);
			}
			String assertion = form.get("client_assertion");
			if (assertion == null || assertion.isBlank()) {
				throw OAuthError.invalidRequest("client_assertion is missing");
			}
			// For the refusal audit only: an unsigned iss is no proof of who asks.
			claimed = clients.find(ClientAssertionVerifier.claimedClient(assertion)).map(RegisteredClients.Registered::clientId)
					.orElse(null);
			String scope = form.get("scope");
			if (scope == null || scope.isBlank()) {
				// SMART: a token request without scopes is an invalid_scope error, not a malformed request.
				throw new OAuthError("invalid_scope", "scope is missing: ask for the scopes you need (system/*.rs, ...)");
			}
			RegisteredClients.Registered client = assertions.verify(assertion, tokenUrl);
			clientId = client.clientId();
			// Counted once the signature holds: client ids are not secret, so counting the assertions that merely
			// name a client would let anyone use up its budget. Forged ones are bounded per address, and the
			// JWKS refetches they may cause per refetch interval.
			limit(perClient, clientId, "client " + clientId);
			ScopeSet requested;
			try {
				requested = ScopeSet.parse(scope, knownTypes);
			} catch (InvalidScopeException e) {
				throw new OAuthError("invalid_scope", e.getMessage());
			}
			ScopeSet granted = client.scopes().grant(requested);
			if (granted.isEmpty()) {
				throw new OAuthError("invalid_scope", "None of the requested scopes is registered for this client");
			}
			TokenResponse response = new TokenResponse(tokens.issue(client.clientId(), granted, client.patient()),
					tokens.lifetime().toSeconds(), granted.text().orElseThrow());
			audit.record(new AuditRecord(AuditAction.TOKEN_ISSUED, clientId, address, "token", true,
					details("scope", response.scope(), "patient", client.patient())));
			metrics.tokenIssued();
			return response;
		} catch (OAuthError e) {
			refusals.refused(clientId, claimed, address, e);
			throw e;
		}
	}

	private static void limit(RateLimiter limiter, String key, String who) throws OAuthError {
		Optional<Duration> wait = limiter.acquire(key);
		if (wait.isPresent()) {
			throw OAuthError.tooManyRequests("Too many token requests from " + who + ": a token lives "
					+ "several minutes, ask again when it is about to expire", wait.get());
		}
	}

	private static Map<String, String> details(String... keysAndValues) {
		Map<String, String> details = new LinkedHashMap<>();
		for (int i = 0; i < keysAndValues.length; i += 2) {
			if (keysAndValues[i + 1] != null) {
				details.put(keysAndValues[i], keysAndValues[i + 1]);
			}
		}
		return details;
	}
}
