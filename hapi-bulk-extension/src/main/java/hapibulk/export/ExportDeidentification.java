package hapibulk.export;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.BulkAuthorization;
import hapibulk.deid.DeidProfiles;
import hapibulk.support.BulkErrors;

/**
 * Which de-identification profile an export runs with: the one {@code _anonymizationConfig} names, or, for a client
 * bound to a profile, that one whatever it asks. A bound client may not name another profile, nor select resources
 * by what identifies them: a {@code _typeFilter} ({@code Patient?name=Doe}) or named patients ({@code patient},
 * {@code Patient/[id]/$export}) would tell which pseudonym stands for whom. What it still may ask
 * ({@code _type}, {@code _elements}, {@code includeAssociatedData}, Group exports, referenced resources) reaches
 * only resources that pass the profile too.
 */
public class ExportDeidentification {

	private final DeidProfiles profiles;

	public ExportDeidentification(DeidProfiles profiles) {
		this.profiles = profiles;
	}

	/** The request with its profile and key id, or as it is for a plain export. */
	public ExportRequest apply(ExportRequest request, AccessGrant grant) {
		String asked = request.deidProfile();
		String profile = asked;
		if (grant.deidBound()) {
			if (asked != null && !asked.equals(grant.deidProfile())) {
				throw BulkAuthorization.forbidden(912, "This client's exports are de-identified with the profile '"
						+ grant.deidProfile() + "'; it cannot ask for '" + asked + "'");
			}
			if (!request.typeFilters().isEmpty()) {
				throw BulkAuthorization.forbidden(913, "A client bound to a de-identification profile cannot use "
						+ ExportParameterNames.TYPE_FILTER + ": selecting resources by their identifying values would"
						+ " tell which pseudonym stands for whom");
			}
			if (!request.patientIds().isEmpty()) {
				throw BulkAuthorization.forbidden(914, "A client bound to a de-identification profile cannot name"
						+ " patients (Patient/[id]/$export or " + ExportParameterNames.PATIENT + "): it would learn"
						+ " their pseudonyms; export a Group instead");
			}
			if (!profiles.isRegistered(grant.deidProfile())) {
				throw BulkAuthorization.forbidden(916, "This client is bound to the de-identification profile '"
						+ grant.deidProfile() + "', which this server does not have: nothing is exported");
			}
			profile = grant.deidProfile();
		}
		if (profile == null) {
			return request;
		}
		if (!profiles.isRegistered(profile)) {
			throw new InvalidRequestException(BulkErrors.code(910) + "Unknown " + ExportParameterNames.ANONYMIZATION_CONFIG
					+ " '" + profile + "': this server's de-identification profiles are "
					+ (profiles.usableNames().isEmpty() ? "none" : String.join(", ", profiles.usableNames())));
		}
		String reason = profiles.whyUnusable(profile).orElse(null);
		if (reason != null) {
			throw new InvalidRequestException(BulkErrors.code(911) + "The de-identification profile '" + profile
					+ "' cannot be used yet: " + reason);
		}
		return request.withDeid(profile, profiles.keyId(profile).orElseThrow());
	}
}
