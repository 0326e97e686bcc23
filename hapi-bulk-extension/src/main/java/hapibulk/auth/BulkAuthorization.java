package hapibulk.auth;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import hapibulk.support.BulkErrors;

import java.util.Objects;

/**
 * What the bulk features ask before they act: who is calling, may they do this, do they own that
 * job. In mode none every answer is yes and jobs have no owner.
 */
public class BulkAuthorization {

	static final String GRANT_KEY = AccessGrant.class.getName();

	private final AuthSettings settings;

	public BulkAuthorization(AuthSettings settings) {
		this.settings = settings;
	}

	public boolean enabled() {
		return settings.enabled();
	}

	/** The caller's grant (set by the bearer authentication), or {@link AccessGrant#UNRESTRICTED} when off. */
	public AccessGrant grant(RequestDetails request) {
		if (!enabled()) {
			return AccessGrant.UNRESTRICTED;
		}
		Object grant = request == null ? null : request.getUserData().get(GRANT_KEY);
		if (grant instanceof AccessGrant accessGrant) {
			return accessGrant;
		}
		// Never reached through the RestfulServer (its interceptor authenticates first): refuse, do not guess.
		throw new AuthenticationException(BulkErrors.code(310) + "No valid access token");
	}

	/** The owner to record on a new job: the client id, or null when authorization is off. */
	public String owner(RequestDetails request) {
		return grant(request).clientId();
	}

	/** Whether the caller may see a job (status, cancel, files): only the client that started it. */
	public boolean mayAccessJob(RequestDetails request, String owner) {
		AccessGrant grant = grant(request);
		return grant.unrestricted() || (owner != null && Objects.equals(owner, grant.clientId()));
	}

	/**
	 * Whether the caller is an administrator of bulk jobs: anyone in mode none, else a token holding
	 * {@link ScopeSet#ADMIN_SCOPE}. Being one allows seeing and cancelling any job, and nothing of the data.
	 */
	public boolean isAdmin(RequestDetails request) {
		AccessGrant grant = grant(request);
		return grant.unrestricted() || (grant.scopes() != null && grant.scopes().admin());
	}

	/** {@code $import} needs a scope that lets it create resources ({@code system/*.write}, v2 {@code .c}/{@code .cud}). */
	public void requireImport(RequestDetails request) {
		AccessGrant grant = grant(request);
		if (!grant.unrestricted() && (grant.patientScoped() || !grant.scopes().mayCreateAny())) {
			throw forbidden(311, "$import needs a write scope (system/*.write, or system/*.cud or .c)");
		}
	}

	/** Whether an import may write resources of this type (a create permission on it). */
	public void requireWrite(RequestDetails request, String type) {
		AccessGrant grant = grant(request);
		if (!grant.unrestricted() && !grant.scopes().allows(Permission.CREATE, type)) {
			throw forbidden(312, "The access token's scopes do not allow writing " + type);
		}
	}

	public static ForbiddenOperationException forbidden(int code, String message) {
		return new ForbiddenOperationException(BulkErrors.code(code) + message);
	}
}
