package hapibulk.auth;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import hapibulk.support.BulkErrors;

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

	/** The owner to record on a new job: the client and the patient context of its token. */
	public JobOwner jobOwner(RequestDetails request) {
		return JobOwner.of(grant(request));
	}

	/**
	 * The one place that decides whether a request may see a job (status, cancel, files): only a token of the
	 * client that started it, in the same patient context (another patient, or none where the kick-off had one,
	 * or one where it had none, is another owner). A tenant is matched here too once jobs have one.
	 */
	public boolean mayAccessJob(RequestDetails request, JobOwner owner) {
		AccessGrant grant = grant(request);
		if (grant.unrestricted()) {
			return true;
		}
		return owner.clientId() != null && owner.equals(JobOwner.of(grant));
	}

	/**
	 * Whether the caller is an administrator of bulk jobs: anyone in mode none, else a token holding
	 * {@link ScopeSet#ADMIN_SCOPE}. Being one allows seeing and cancelling any job, and nothing of the data.
	 */
	public boolean isAdmin(RequestDetails request) {
		AccessGrant grant = grant(request);
		return grant.unrestricted() || (grant.scopes() != null && grant.scopes().admin());
	}

	public static ForbiddenOperationException forbidden(int code, String message) {
		return new ForbiddenOperationException(BulkErrors.code(code) + message);
	}
}
