package hapibulk.submit;

import hapibulk.imports.SourceAccess;
import hapibulk.imports.SourceUrls;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;

/**
 * The registered submitters, and the {@link SourceAccess} grants their imports read under. A grant key names the
 * submitter and whether its files want a token ({@code token:system|value} or {@code plain:system|value}, from
 * the manifest's {@code requiresAccessToken}): never the token itself, which is asked for when a file is opened.
 */
public class Submitters implements SourceAccess {

	private static final String TOKEN = "token:";
	private static final String PLAIN = "plain:";

	private final SubmitSettings settings;
	private final ProviderTokens tokens;

	public Submitters(SubmitSettings settings, ProviderTokens tokens) {
		this.settings = settings;
		this.tokens = tokens;
	}

	public Optional<SubmitSettings.Submitter> find(String system, String value) {
		return find((system == null ? "" : system) + "|" + value);
	}

	private Optional<SubmitSettings.Submitter> find(String key) {
		return settings.submitters().stream().filter(submitter -> submitter.key().equals(key)).findFirst();
	}

	/** The grant key of a submitter's files. */
	static String grant(SubmitSettings.Submitter submitter, boolean requiresAccessToken) {
		return (requiresAccessToken ? TOKEN : PLAIN) + submitter.key();
	}

	/** The registered base URL (as registered) that holds the URL, if any. */
	static Optional<String> baseHolding(SubmitSettings.Submitter submitter, URI url) {
		return submitter.fhirBaseUrls().stream().filter(base -> SourceUrls.under(url, base)).findFirst();
	}

	@Override
	public boolean allows(String key, URI url) {
		return submitterOf(key).flatMap(submitter -> baseHolding(submitter, url)).isPresent();
	}

	@Override
	public Optional<String> authorization(String key, URI url) throws IOException {
		if (!key.startsWith(TOKEN)) {
			return Optional.empty();
		}
		Optional<SubmitSettings.Submitter> submitter = submitterOf(key);
		if (submitter.isEmpty() || !submitter.get().authenticates()) {
			return Optional.empty();
		}
		String base = baseHolding(submitter.get(), url).orElseThrow(() -> new IOException(url + " is not under a base"
				+ " URL of its submitter"));
		return Optional.of("Bearer " + tokens.token(submitter.get(), base));
	}

	private Optional<SubmitSettings.Submitter> submitterOf(String key) {
		if (key == null) {
			return Optional.empty();
		}
		if (key.startsWith(TOKEN)) {
			return find(key.substring(TOKEN.length()));
		}
		return key.startsWith(PLAIN) ? find(key.substring(PLAIN.length())) : Optional.empty();
	}
}
