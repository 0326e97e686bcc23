package hapibulk.submit;

/**
 * A {@code $bulk-submit} or {@code $bulk-submit-status} request, read from its {@code Parameters}.
 *
 * @param submitterSystem  the {@code submitter} Identifier's system (may be null)
 * @param submitterValue   the {@code submitter} Identifier's value
 * @param submissionId     the submitter's id of the submission
 * @param status           {@code submissionStatus}'s code, or null when absent
 * @param manifestUrl      a manifest to load, or null
 * @param fhirBaseUrl      the provider's base the manifest belongs to (required with a manifest)
 * @param replacesManifestUrl an earlier manifest the new one replaces, or null
 * @param oauthMetadataUrl the provider's SMART discovery document, or null
 */
public record SubmitRequest(String submitterSystem, String submitterValue, String submissionId, String status,
		String manifestUrl, String fhirBaseUrl, String replacesManifestUrl, String oauthMetadataUrl) {

	public static final String IN_PROGRESS = "in-progress";
	public static final String COMPLETED = "completed";
	public static final String STOPPED = "stopped";

	/** The submitter as submissions are filed: {@code system|value}. */
	public String submitterKey() {
		return (submitterSystem == null ? "" : submitterSystem) + "|" + submitterValue;
	}
}
