package hapibulk.deid;

import java.util.List;
import java.util.Optional;

/**
 * A registered de-identification profile: its rules in order, its parameters and its keys.
 *
 * @param source      where it was read from (a file, or a classpath resource), for messages
 * @param skipOnError {@code processingErrors: skip}: a resource that cannot be de-identified is written as an
 *                    empty resource labelled REDACTED; otherwise ({@code raise}) the export fails
 */
public record DeidProfile(String name, String source, List<DeidRule> rules, DeidParameters parameters,
		boolean skipOnError, DeidKeys keys) {

	public DeidProfile {
		rules = List.copyOf(rules);
	}

	/** Why the profile cannot run with the keys at hand (a rule whose method needs a key that is not set), if so. */
	public Optional<String> missingKey() {
		for (DeidRule rule : rules) {
			DeidKeys.KeyKind kind = rule.method().key();
			if (kind != null && !keys.has(kind)) {
				return Optional.of(rule.describe() + " needs " + DeidSettings.PREFIX + ".keys." + kind.setting + " (or "
						+ DeidSettings.PREFIX + ".profile-keys." + name + "." + kind.setting + ")");
			}
		}
		return Optional.empty();
	}
}
