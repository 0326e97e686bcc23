package hapibulk.config;

import ca.uhn.fhir.util.VersionUtil;
import hapibulk.support.BulkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says at start-up which HAPI FHIR release the extension runs in. The export reads HAPI's tables directly
 * and a few parts lean on HAPI's server internals (docs/compatibility.md lists them), so a HAPI line the
 * extension was not tested on may differ where it matters. That is a WARN naming docs/compatibility.md,
 * not a refusal: most of it holds on 8.10 and 8.12, and the operator decides.
 */
final class HapiVersionCheck {

	/** The HAPI line the extension is built and tested against ({@code hapi.version} in the parent POM). */
	static final String TESTED_LINE = "8.8";

	private static final Logger LOG = LoggerFactory.getLogger(HapiVersionCheck.class);
	private static final Pattern MAJOR_MINOR = Pattern.compile("(\\d+)\\.(\\d+)(?:\\D.*)?");

	/** What was found: whether the version is on the tested line, and the line to log. */
	record Outcome(boolean tested, String message) {}

	private HapiVersionCheck() {}

	/** Reads HAPI's version from HAPI itself ({@link VersionUtil}) and logs the outcome. */
	static Outcome logAtStartup() {
		return logAtStartup(VersionUtil::getVersion);
	}

	/** @param versionSource HAPI's version as HAPI reports it (a test feeds its own) */
	static Outcome logAtStartup(Supplier<String> versionSource) {
		String version;
		try {
			version = versionSource.get();
		} catch (RuntimeException e) {
			// A HAPI without its build properties must still start; say so instead.
			version = null;
		}
		Outcome outcome = of(version);
		if (outcome.tested()) {
			LOG.info(outcome.message());
		} else {
			LOG.warn(outcome.message());
		}
		return outcome;
	}

	/** The verdict on one version string (pure: no logging). */
	static Outcome of(String version) {
		Matcher matcher = version == null ? null : MAJOR_MINOR.matcher(version.trim());
		if (matcher == null || !matcher.matches()) {
			return new Outcome(false, BulkErrors.code(571) + "hapi-bulk could not read the HAPI FHIR version it runs in"
					+ " (HAPI reports '" + version + "'); it is tested on HAPI FHIR " + TESTED_LINE + ".x only."
					+ " docs/compatibility.md lists what it relies on in HAPI and what the 8.10 and 8.12 lines change.");
		}
		String line = Integer.parseInt(matcher.group(1)) + "." + Integer.parseInt(matcher.group(2));
		if (line.equals(TESTED_LINE)) {
			return new Outcome(true, "hapi-bulk runs in HAPI FHIR " + version.trim() + ", the line it is tested on ("
					+ TESTED_LINE + ".x)");
		}
		return new Outcome(false, BulkErrors.code(570) + "hapi-bulk runs in HAPI FHIR " + version.trim()
				+ ", a line it is not tested on (tested: " + TESTED_LINE + ".x). The export reads HAPI's tables directly"
				+ " and some parts use HAPI's server internals; docs/compatibility.md says what holds and what changed"
				+ " in HAPI 8.10 and 8.12. Run an export and an import on a copy before relying on it.");
	}
}
