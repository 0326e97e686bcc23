package hapibulk.deid;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.util.Map;
import java.util.TreeMap;

/**
 * {@code hapi.bulk.deid.*}: the de-identification profiles a client may name with {@code _anonymizationConfig},
 * and their keys. Keys live here (or in the host's secret store behind these settings), never in a request and
 * never in a profile file, so that a profile can be shared and a key turned over on its own.
 *
 * @param profiles    the de-identification profiles a kick-off may name (_anonymizationConfig=NAME): NAME to a
 *                    profile in the Microsoft FHIR anonymizer's JSON format, a file path or classpath: and a
 *                    resource; safe-harbor is built in
 * @param keys        the keys of every profile that has none of its own (profile-keys)
 * @param profileKeys NAME to that profile's own keys (crypto-hash-key, date-shift-key, encrypt-key): two
 *                    research partners with keys of their own get pseudonyms that cannot be joined
 */
public record DeidSettings(Map<String, String> profiles, @DefaultValue Keys keys, Map<String, Keys> profileKeys) {

	/** The property prefix these settings are bound under. */
	public static final String PREFIX = "hapi.bulk.deid";

	public DeidSettings {
		profiles = profiles == null ? Map.of() : new TreeMap<>(profiles);
		profileKeys = profileKeys == null ? Map.of() : new TreeMap<>(profileKeys);
	}

	public static DeidSettings none() {
		return new DeidSettings(Map.of(), new Keys(null, null, null), Map.of());
	}

	/** This profile's keys: its own, else the shared ones (each key on its own). */
	Keys keysOf(String profile) {
		Keys own = profileKeys.get(profile);
		if (own == null) {
			return keys;
		}
		return new Keys(own.cryptoHashKey() != null ? own.cryptoHashKey() : keys.cryptoHashKey(),
				own.dateShiftKey() != null ? own.dateShiftKey() : keys.dateShiftKey(),
				own.encryptKey() != null ? own.encryptKey() : keys.encryptKey());
	}

	/**
	 * The anonymizer's three keys ({@code hapi.bulk.deid.keys.*} or {@code hapi.bulk.deid.profile-keys.NAME.*}).
	 *
	 * @param cryptoHashKey the HMAC-SHA256 key of cryptoHash (ids, references) and of perturb's noise; at least 16
	 *                      characters
	 * @param dateShiftKey  the key the dateShift offsets are derived from; at least 16 characters
	 * @param encryptKey    the AES key of encrypt: exactly 16, 24 or 32 bytes of UTF-8 (AES-128/192/256)
	 */
	public record Keys(String cryptoHashKey, String dateShiftKey, String encryptKey) {
		@Override
		public String toString() {
			// Never in a log: which keys are set, not their values.
			return "Keys[cryptoHashKey=" + (cryptoHashKey != null ? "set" : "unset") + ", dateShiftKey="
					+ (dateShiftKey != null ? "set" : "unset") + ", encryptKey=" + (encryptKey != null ? "set" : "unset")
					+ "]";
		}
	}
}
