package hapibulk.deid;

/**
 * The {@code meta.security} labels the anonymizer puts on a resource it changed, one per kind of change (codes
 * and displays as it writes them, {@code CRYTOHASH} spelt as in the v3 code system). The anonymizer gives a system
 * to the first three only; here every label carries the v3 ObservationValue system, so that a consumer can match
 * on system and code.
 */
public enum SecurityLabel {
	REDACTED("redacted"),
	ABSTRED("abstracted"),
	CRYTOHASH("cryptographic hash function"),
	ENCRYPT("exact value is transformed into ciphertext"),
	PERTURBED("exact value is replaced with another exact value"),
	SUBSTITUTED("exact value is replaced with a predefined value"),
	GENERALIZED("exact value is replaced with a general value");

	public static final String SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

	private final String display;

	SecurityLabel(String display) {
		this.display = display;
	}

	public String display() {
		return display;
	}
}
