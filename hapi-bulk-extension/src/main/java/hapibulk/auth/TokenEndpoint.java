package hapibulk.auth;

import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * SMART Backend Services' token endpoint: {@code client_credentials} with a JWT
 * {@code client_assertion} in, a short-lived bearer token with the granted scopes out. Every
 * answer is audited.
 */
public class TokenEndpoint {

	public static final String PATH = "auth/token";
	static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

	private final ClientAssertionVerifier assertions;
	private final AccessTokens tokens;
	private final Set<String> knownTypes;
	private final BulkAudit audit;

	public TokenEndpoint(ClientAssertionVerifier assertions, AccessTokens tokens, Set<String> knownTypes,
			BulkAudit audit) {
		this.assertions = assertions;
		this.tokens = tokens;
		this.knownTypes = knownTypes;
		this.audit = audit;
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
		try {
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
			String scope = form.get("scope");
			if (scope == null || scope.isBlank()) {
				throw OAuthError.invalidRequest("scope is missing");
			}
			RegisteredClients.Registered client = assertions.verify(assertion, tokenUrl);
			clientId = client.clientId();
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
			return response;
		} catch (OAuthError e) {
			audit.record(new AuditRecord(AuditAction.TOKEN_REFUSED, clientId, address, "token", false,
					details("error", e.error(), "reason", e.getMessage())));
			throw e;
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
