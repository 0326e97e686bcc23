package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.support.BulkErrors;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Which import inputs this server may read, and with what credentials: {@code http(s)} URLs under a
 * prefix of {@code hapi.bulk.import.allowed-sources}, in their normalized form ({@link SourceUrls});
 * {@code file:} URLs under {@code hapi.bulk.import.directory}, checked after symbolic links are resolved.
 */
final class SourceRules {

	private final ImportSettings settings;
	private final SourceAccess access;

	SourceRules(ImportSettings settings, SourceAccess access) {
		this.settings = settings;
		this.access = access;
	}

	/**
	 * The URL to fetch (normalized) or the file to read; 4xx for a URL that is malformed or not allowed. With a grant
	 * key ({@link SourceAccess}) only http(s) URLs the grant allows, whatever the import's own settings allow.
	 */
	Object source(String url, String grant) {
		String scheme = url == null ? "" : url.substring(0, Math.max(0, url.indexOf(':'))).toLowerCase(Locale.ROOT);
		if (grant != null) {
			if (!scheme.equals("http") && !scheme.equals("https")) {
				throw SourceUrls.unusableUrl("The input " + url + " is not an http(s) URL");
			}
			URI normalized = SourceUrls.normalize(url);
			if (!access.allows(grant, normalized)) {
				throw new ForbiddenOperationException(BulkErrors.code(949) + "The input " + url
						+ " is not under a base URL registered for its submitter (hapi.bulk.submit.submitters)");
			}
			return normalized;
		}
		switch (scheme) {
			case "http", "https" -> {
				URI normalized = SourceUrls.normalize(url);
				if (settings.allowedSources().stream().noneMatch(prefix -> SourceUrls.under(normalized, prefix))) {
					throw new ForbiddenOperationException(BulkErrors.code(217) + "The input " + url
							+ " is not under a source this server allows (hapi.bulk.import.allowed-sources)");
				}
				return normalized;
			}
			case "file" -> {
				return localFile(parse(url));
			}
			default -> throw SourceUrls.unusableUrl("Unsupported input URL scheme '"
					+ scheme + "' in " + url + ": use https, http or file");
		}
	}

	/** The grant's Authorization header, or else that of the first configured credential whose prefix holds the URL. */
	Optional<String> credentialsFor(URI url, String grant) throws IOException {
		if (grant != null) {
			return access.authorization(grant, url);
		}
		return settings.sourceCredentials().stream()
				.filter(credential -> credential.prefix() != null && SourceUrls.under(url, credential.prefix()))
				.findFirst()
				.map(credential -> credential.bearerToken() != null ? "Bearer " + credential.bearerToken()
						: "Basic " + Base64.getEncoder().encodeToString((credential.username() + ":"
								+ credential.password()).getBytes(StandardCharsets.UTF_8)));
	}

	/** The file a {@code file:} URL names, if it is a regular file under the import directory (links resolved). */
	private Path localFile(URI uri) {
		if (settings.directory() == null) {
			throw outsideDirectory("file: inputs are not allowed on this server (hapi.bulk.import.directory is not set)");
		}
		Path file;
		Path directory;
		try {
			directory = settings.directory().toRealPath();
			file = Path.of(uri).normalize();
		} catch (IOException | IllegalArgumentException e) {
			throw SourceUrls.unusableUrl("Unusable file: URL " + uri + ": " + e.getMessage());
		}
		if (!file.startsWith(directory) && !file.startsWith(settings.directory().toAbsolutePath().normalize())) {
			throw outsideDirectory("The input " + uri
					+ " is outside the import directory (hapi.bulk.import.directory)");
		}
		Path real;
		try {
			real = file.toRealPath();
		} catch (IOException e) {
			throw unreadable("The input " + uri + " cannot be read: no such file");
		}
		if (!real.startsWith(directory)) {
			throw outsideDirectory("The input " + uri
					+ " leads outside the import directory (hapi.bulk.import.directory)");
		}
		if (!Files.isRegularFile(real)) {
			throw unreadable("The input " + uri + " is not a file");
		}
		return real;
	}

	private static URI parse(String url) {
		try {
			URI uri = new URI(url);
			if (uri.getScheme() == null || !uri.isAbsolute()) {
				throw SourceUrls.unusableUrl("The input URL " + url + " is not absolute");
			}
			return uri;
		} catch (java.net.URISyntaxException e) {
			throw SourceUrls.unusableUrl("Malformed input URL " + url);
		}
	}

	/** BULK-0218: a {@code file:} input this server may not read (no import directory, or outside it). */
	private static ForbiddenOperationException outsideDirectory(String message) {
		return new ForbiddenOperationException(BulkErrors.code(218) + message);
	}

	/** BULK-0219: an input that is allowed but cannot be read now. */
	static InvalidRequestException unreadable(String message) {
		return new InvalidRequestException(BulkErrors.code(219) + message);
	}
}
