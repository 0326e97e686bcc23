package hapibulk.auth;

import java.time.Instant;

/**
 * Who a request comes from and what it may do, read from its access token.
 *
 * @param clientId  the client the token was issued to; null when authorization is off
 * @param scopes    what it may do to which types
 * @param patient   for a patient-scoped client, the Patient id it is bound to; else null
 * @param expiresAt when the token expires
 * @param deidProfile the de-identification profile every export of this client is made with (the client's
 *                  {@code deid-profile}, or its token's claim in mode external); null when it is not bound
 */
public record AccessGrant(String clientId, ScopeSet scopes, String patient, Instant expiresAt, String deidProfile) {

	/** Authorization is off ({@code mode=none}): everything is allowed. */
	public static final AccessGrant UNRESTRICTED = new AccessGrant(null, null, null, null, null);

	/** A grant of a client bound to no de-identification profile. */
	public AccessGrant(String clientId, ScopeSet scopes, String patient, Instant expiresAt) {
		this(clientId, scopes, patient, expiresAt, null);
	}

	/** The same grant, bound to a de-identification profile (null: none). */
	public AccessGrant withDeidProfile(String profile) {
		return profile == null && deidProfile == null ? this
				: new AccessGrant(clientId, scopes, patient, expiresAt, profile);
	}

	/** Whether this client gets de-identified exports only, and nothing else of the data (docs/security.md). */
	public boolean deidBound() {
		return deidProfile != null;
	}

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
