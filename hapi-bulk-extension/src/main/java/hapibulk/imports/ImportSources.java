package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.config.BulkProperties;
import hapibulk.support.BulkErrors;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Where import inputs may come from, and how they are read. {@code http(s)} URLs only under a
 * prefix of {@code hapi.bulk.import.allowed-sources} (none by default, so a client cannot make the
 * server fetch from the operator's network), {@code file:} URLs only under
 * {@code hapi.bulk.import.directory}, checked after symbolic links are resolved. Redirects are not
 * followed: they could lead anywhere. Gzip-compressed inputs are recognised by their first bytes.
 */
public class ImportSources {

	private static final int BUFFER_BYTES = 1 << 16;

	private final BulkProperties.Import settings;
	private final HttpClient http;

	public ImportSources(BulkProperties.Import settings) {
		this.settings = settings;
		this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
				.followRedirects(HttpClient.Redirect.NEVER).build();
	}

	/** Refuses (4xx) a URL that is malformed or that the settings do not allow. */
	public void checkAllowed(String url) {
		URI uri = parse(url);
		String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
		switch (scheme) {
			case "http", "https" -> {
				if (settings.allowedSources().stream().noneMatch(prefix -> underPrefix(url, prefix))) {
					throw new ForbiddenOperationException(BulkErrors.code(217) + "The input " + url
							+ " is not under a source this server allows (hapi.bulk.import.allowed-sources)");
				}
			}
			case "file" -> localFile(uri);
			default -> throw new InvalidRequestException(BulkErrors.code(216) + "Unsupported input URL scheme '" + scheme
					+ "' in " + url + ": use https, http or file");
		}
	}

	/** Opens the input and closes it again: a 400 if it cannot be read now. */
	public void probe(String url) {
		checkAllowed(url);
		try (InputStream in = openRaw(url)) {
			in.read();
		} catch (IOException | RuntimeException e) {
			if (e instanceof ForbiddenOperationException forbidden) {
				throw forbidden;
			}
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + url + " cannot be read: "
					+ e.getMessage());
		}
	}

	/** The input's bytes, decompressed when it is gzip. */
	public InputStream open(String url) throws IOException {
		checkAllowed(url);
		BufferedInputStream in = new BufferedInputStream(openRaw(url), BUFFER_BYTES);
		in.mark(2);
		int first = in.read();
		int second = in.read();
		in.reset();
		if (first == 0x1f && second == 0x8b) {
			return new BufferedInputStream(new GZIPInputStream(in, BUFFER_BYTES), BUFFER_BYTES);
		}
		return in;
	}

	private InputStream openRaw(String url) throws IOException {
		URI uri = parse(url);
		if ("file".equalsIgnoreCase(uri.getScheme())) {
			return Files.newInputStream(localFile(uri));
		}
		HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(Duration.ofMinutes(10))
				.header("Accept", "application/fhir+ndjson, application/ndjson, */*");
		credentialsFor(url).ifPresent(authorization -> request.header("Authorization", authorization));
		try {
			HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
			if (response.statusCode() / 100 != 2) {
				response.body().close();
				throw new IOException("HTTP " + response.statusCode());
			}
			return response.body();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IOException("Interrupted while fetching " + url, e);
		}
	}

	private Optional<String> credentialsFor(String url) {
		return settings.sourceCredentials().stream()
				.filter(credential -> credential.prefix() != null && underPrefix(url, credential.prefix()))
				.findFirst()
				.map(credential -> credential.bearerToken() != null ? "Bearer " + credential.bearerToken()
						: "Basic " + Base64.getEncoder().encodeToString((credential.username() + ":"
								+ credential.password()).getBytes(StandardCharsets.UTF_8)));
	}

	/**
	 * Whether {@code url} lies under {@code prefix}: it starts with it, and the prefix ends at a
	 * boundary, so that {@code https://data.example.org} does not allow {@code https://data.example.org.evil.com}.
	 */
	static boolean underPrefix(String url, String prefix) {
		if (prefix.isEmpty() || !url.startsWith(prefix)) {
			return false;
		}
		if (prefix.endsWith("/") || url.length() == prefix.length()) {
			return true;
		}
		char next = url.charAt(prefix.length());
		return next == '/' || next == '?' || next == '#';
	}

	/** The file a {@code file:} URL names, if it is a regular file under the import directory (links resolved). */
	private Path localFile(URI uri) {
		if (settings.directory() == null) {
			throw new ForbiddenOperationException(BulkErrors.code(218)
					+ "file: inputs are not allowed on this server (hapi.bulk.import.directory is not set)");
		}
		Path file;
		Path directory;
		try {
			directory = settings.directory().toRealPath();
			file = Path.of(uri).normalize();
		} catch (IOException | IllegalArgumentException e) {
			throw new InvalidRequestException(BulkErrors.code(216) + "Unusable file: URL " + uri + ": " + e.getMessage());
		}
		if (!file.startsWith(directory) && !file.startsWith(settings.directory().toAbsolutePath().normalize())) {
			throw new ForbiddenOperationException(BulkErrors.code(218) + "The input " + uri
					+ " is outside the import directory (hapi.bulk.import.directory)");
		}
		Path real;
		try {
			real = file.toRealPath();
		} catch (IOException e) {
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + uri + " cannot be read: no such file");
		}
		if (!real.startsWith(directory)) {
			throw new ForbiddenOperationException(BulkErrors.code(218) + "The input " + uri
					+ " leads outside the import directory (hapi.bulk.import.directory)");
		}
		if (!Files.isRegularFile(real)) {
			throw new InvalidRequestException(BulkErrors.code(219) + "The input " + uri + " is not a file");
		}
		return real;
	}

	private static URI parse(String url) {
		try {
			URI uri = new URI(url);
			if (uri.getScheme() == null || !uri.isAbsolute()) {
				throw new InvalidRequestException(BulkErrors.code(216) + "The input URL " + url + " is not absolute");
			}
			return uri;
		} catch (java.net.URISyntaxException e) {
			throw new InvalidRequestException(BulkErrors.code(216) + "Malformed input URL " + url);
		}
	}
}
