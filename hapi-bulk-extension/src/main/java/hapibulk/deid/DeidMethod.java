package hapibulk.deid;

import hapibulk.deid.DeidKeys.KeyKind;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The anonymizer's methods, by the names its configuration uses (matched without regard to case). */
public enum DeidMethod {
	KEEP("keep", null),
	REDACT("redact", null),
	DATE_SHIFT("dateShift", KeyKind.DATE_SHIFT),
	CRYPTO_HASH("cryptoHash", KeyKind.CRYPTO_HASH),
	ENCRYPT("encrypt", KeyKind.ENCRYPT),
	SUBSTITUTE("substitute", null),
	GENERALIZE("generalize", null),
	PERTURB("perturb", KeyKind.CRYPTO_HASH);

	private final String configName;
	private final KeyKind key;

	DeidMethod(String configName, KeyKind key) {
		this.configName = configName;
		this.key = key;
	}

	public String configName() {
		return configName;
	}

	/** The key the method needs, or null. */
	KeyKind key() {
		return key;
	}

	static Optional<DeidMethod> named(String name) {
		String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
		return Arrays.stream(values()).filter(m -> m.configName.toLowerCase(Locale.ROOT).equals(lower)).findFirst();
	}
}
