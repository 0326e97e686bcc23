package hapibulk.auth;

/**
 * Whom a bulk job belongs to: the client that kicked it off and the patient context of the kick-off's token
 * (a SMART client registered with a {@code patient}, or an external token's {@code patient} claim). A job is
 * only ever seen by a request of the same client in the same patient context ({@link BulkAuthorization#mayAccessJob}):
 * two tokens of one client bound to different patients are two owners. When there are tenants, the tenant
 * becomes a component here and is matched the same way.
 *
 * @param clientId the client; null when authorization is off
 * @param patient  the Patient id the kick-off's token was bound to; null when it was bound to none
 */
public record JobOwner(String clientId, String patient) {

	/** Nobody: authorization off. */
	public static final JobOwner NONE = new JobOwner(null, null);

	public JobOwner {
		patient = patient == null || patient.isBlank() ? null : patient;
	}

	/** A client's job without a patient context (admin tools and tests). */
	public static JobOwner client(String clientId) {
		return new JobOwner(clientId, null);
	}

	/** The owner a request with this grant gives its job. */
	public static JobOwner of(AccessGrant grant) {
		return grant.unrestricted() ? NONE : new JobOwner(grant.clientId(), grant.patient());
	}
}
