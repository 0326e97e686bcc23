package hapibulk.auth;

import java.time.Instant;

/**
 * Who a request comes from and what it may do, read from its access token.
 *
 * @param clientId  the client the token was issued to; null when authorization is off
 * @param scopes    what it may do to which types
 * @param patient   for a patient-scoped client, the Patient id it is bound to; else null
 * @param expiresAt when the token expires
 */
public record AccessGrant(String clientId, ScopeSet scopes, String patient, Instant expiresAt) {

	/** Authorization is off ({@code mode=none}): everything is allowed. */
	public static final AccessGrant UNRESTRICTED = new AccessGrant(null, null, null, null);

	public boolean unrestricted() {
		return this == UNRESTRICTED;
	}

	public boolean patientScoped() {
		return patient != null && !patient.isBlank();
	}

	public boolean mayRead(String type) {
		return unrestricted() || scopes.mayRead(type);
	}
}
