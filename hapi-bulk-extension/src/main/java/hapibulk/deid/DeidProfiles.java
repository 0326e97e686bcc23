package hapibulk.deid;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.fhirpath.IFhirPath;
import hapibulk.support.BulkErrors;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The registered profiles, read and checked at start-up ({@code hapi.bulk.deid.profiles.NAME}), and the one built
 * in: {@value #SAFE_HARBOR}. A profile of the operator's that cannot run (it does not parse, names an unknown
 * method, needs a key that is not set) stops the start; the built-in one merely waits for its key, and a kick-off
 * naming it until then is refused with the setting to make.
 */
public class DeidProfiles {

	public static final String SAFE_HARBOR = "safe-harbor";
	static final String SAFE_HARBOR_RESOURCE = "hapibulk/deid/safe-harbor.json";
	private static final String CLASSPATH = "classpath:";
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

	private final FhirContext fhirContext;
	private final Map<String, DeidProfile> usable = new TreeMap<>();
	private final Map<String, String> waiting = new TreeMap<>();
	/** One engine per worker thread: HAPI's FHIRPath engine is not thread-safe. */
	private final ThreadLocal<IFhirPath> fhirPaths;

	public DeidProfiles(FhirContext fhirContext, DeidSettings settings) {
		this.fhirContext = fhirContext;
		this.fhirPaths = ThreadLocal.withInitial(fhirContext::newFhirPath);
		DeidSettings.Keys keys = settings.keys();
		if (settings.profiles().isEmpty() && settings.profileKeys().isEmpty() && keys.cryptoHashKey() == null
				&& keys.dateShiftKey() == null && keys.encryptKey() == null) {
			// De-identification not set up: nothing is parsed (HAPI's FHIRPath engine takes seconds to start).
			waiting.put(SAFE_HARBOR, "the built-in profile needs " + DeidSettings.PREFIX + ".keys.crypto-hash-key");
			return;
		}
		DeidProfileParser parser = new DeidProfileParser(fhirContext, fhirPaths.get());
		Map<String, String> sources = new LinkedHashMap<>();
		sources.put(SAFE_HARBOR, CLASSPATH + SAFE_HARBOR_RESOURCE);
		settings.profiles().forEach((name, source) -> {
			if (!NAME.matcher(name).matches() || name.equals(SAFE_HARBOR)) {
				throw badName(".profiles." + name + ": " + (name.equals(SAFE_HARBOR) ? "'" + SAFE_HARBOR + "' is the"
						+ " built-in profile; register yours under another name"
						: "a profile name is letters, digits, '.', '_' and '-' (at most 64)"));
			}
			sources.put(name, source);
		});
		settings.profileKeys().keySet().stream().filter(name -> !sources.containsKey(name)).findFirst()
				.ifPresent(name -> {
					throw badName(".profile-keys." + name + " names no registered profile");
				});
		sources.forEach((name, source) -> {
			DeidProfile profile = parser.parse(name, source, read(name, source),
					DeidKeys.of(name, settings.keysOf(name)));
			Optional<String> missing = profile.missingKey();
			if (missing.isEmpty()) {
				usable.put(name, profile);
			} else if (name.equals(SAFE_HARBOR)) {
				waiting.put(name, missing.get());
			} else {
				throw new IllegalStateException(BulkErrors.code(904) + "De-identification profile '" + name + "': "
						+ missing.get());
			}
		});
	}

	private static IllegalStateException badName(String problem) {
		return new IllegalStateException(BulkErrors.code(905) + DeidSettings.PREFIX + problem);
	}

	private static String read(String name, String source) {
		try {
			if (source.startsWith(CLASSPATH)) {
				String resource = source.substring(CLASSPATH.length()).replaceFirst("^/", "");
				try (InputStream in = DeidProfiles.class.getClassLoader().getResourceAsStream(resource)) {
					if (in == null) {
						throw DeidProfileParser.unreadable(name, source, "is not on the classpath");
					}
					return new String(in.readAllBytes(), StandardCharsets.UTF_8);
				}
			}
			return Files.readString(Path.of(source), StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw DeidProfileParser.unreadable(name, source, "cannot be read: " + e);
		}
	}

	/** The names a kick-off may use now. */
	public Set<String> usableNames() {
		return usable.keySet();
	}

	/** Whether a profile of this name is registered, usable or not. */
	public boolean isRegistered(String name) {
		return usable.containsKey(name) || waiting.containsKey(name);
	}

	/** Why a registered profile cannot be used yet (its key is not set), if so. */
	public Optional<String> whyUnusable(String name) {
		return Optional.ofNullable(waiting.get(name));
	}

	/** The id of a usable profile's keys (kept in the job, shown in the manifest), or empty. */
	public Optional<String> keyId(String name) {
		return Optional.ofNullable(usable.get(name)).map(profile -> profile.keys().id());
	}

	/**
	 * What one thread of an export uses to de-identify its resources with the profile.
	 *
	 * @param keyId the key id the export started with: if the keys changed since (a restart after a key change),
	 *              the export fails rather than write pseudonyms of two keys into one delivery
	 * @param now   the export's transaction time, which decides which dates say "over 89"
	 */
	public DeidSession session(String name, String keyId, Instant now) {
		DeidProfile profile = usable.get(name);
		if (profile == null || !profile.keys().id().equals(keyId)) {
			throw new IllegalStateException(BulkErrors.code(917) + "The de-identification profile '" + name + "' "
					+ (profile == null ? "is no longer registered" : "has other keys than when the export started")
					+ ": the export stops rather than mix pseudonyms; start a new export");
		}
		LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
		return new DeidSession(fhirContext, new Anonymizer(fhirContext, fhirPaths.get(), profile, today));
	}
}
