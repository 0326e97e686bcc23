package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.support.BulkErrors;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * http(s) input URLs in the one form they are matched and fetched in, so that no spelling of a URL
 * reaches what its allowed prefix does not: {@code https://files.example.org/extract/../admin/x}
 * and its {@code %2e%2e} forms are {@code https://files.example.org/admin/x}, outside
 * {@code https://files.example.org/extract/}. Scheme and host are lower-cased, a default port is
 * dropped, escaped unreserved characters are decoded (other escapes kept, in upper case), dot
 * segments are resolved. What a server might still read as another path is refused: user info,
 * escaped slashes, backslashes or NUL, doubly escaped dots, and dot segments with parameters
 * ({@code ..;}), which some servers treat as {@code ..}. The fragment is dropped (never sent).
 */
public final class SourceUrls {

	/** {@code %25} followed by an escaped dot, slash or backslash: decoded once more by some servers. */
	private static final Pattern DOUBLE_ESCAPE = Pattern.compile("%25(2E|2F|5C|00)", Pattern.CASE_INSENSITIVE);

	private SourceUrls() {}

	/** The normalized URL; 400 when it is not an absolute http(s) URL with a host, 403 for the tricks above. */
	public static URI normalize(String url) {
		URI uri;
		try {
			uri = new URI(url);
		} catch (URISyntaxException e) {
			throw unusableUrl("Malformed input URL " + url);
		}
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
		if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
			throw unusableUrl("The input URL " + url + " is not an http(s) URL");
		}
		if (uri.getRawUserInfo() != null) {
			throw refused(url, "user info (user:password@) is not allowed in input URLs");
		}
		if (uri.getHost() == null) {
			throw unusableUrl("The input URL " + url + " has no valid host");
		}
		String host = uri.getHost().toLowerCase(Locale.ROOT);
		int port = uri.getPort() == defaultPort(scheme) ? -1 : uri.getPort();
		String path = decodeUnreserved(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath());
		if (path.contains("%2F") || path.contains("%5C") || path.contains("%00") || DOUBLE_ESCAPE.matcher(path).find()) {
			throw refused(url, "escaped slashes, backslashes, NUL or doubly escaped characters are not allowed in"
					+ " input URL paths");
		}
		path = removeDotSegments(path);
		for (String segment : path.split("/")) {
			String name = segment.contains(";") ? segment.substring(0, segment.indexOf(';')) : segment;
			if (name.equals(".") || name.equals("..")) {
				throw refused(url, "dot segments are not allowed in input URL paths");
			}
		}
		String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
		return URI.create(scheme + "://" + host + (port == -1 ? "" : ":" + port) + path + query);
	}

	/**
	 * Whether a normalized URL lies under a prefix: same scheme, host and port, and a path under the
	 * prefix's path on a segment boundary ({@code /extract} allows {@code /extract/x}, not
	 * {@code /extract-old/x}; {@code /extract/} allows {@code /extract/x}). A prefix's query is ignored.
	 */
	public static boolean under(URI url, String prefix) {
		URI base;
		try {
			base = normalize(prefix);
		} catch (RuntimeException e) {
			return false;
		}
		if (!url.getScheme().equals(base.getScheme()) || !url.getHost().equals(base.getHost())
				|| url.getPort() != base.getPort()) {
			return false;
		}
		String path = url.getRawPath();
		String basePath = base.getRawPath();
		return basePath.endsWith("/") ? path.startsWith(basePath)
				: path.equals(basePath) || path.startsWith(basePath + "/");
	}

	private static int defaultPort(String scheme) {
		return scheme.equals("https") ? 443 : 80;
	}

	/** Decodes escapes of unreserved characters (RFC 3986 2.3) and writes the others' hex digits in upper case. */
	static String decodeUnreserved(String rawPath) {
		StringBuilder out = new StringBuilder(rawPath.length());
		for (int i = 0; i < rawPath.length(); i++) {
			char c = rawPath.charAt(i);
			if (c == '%' && i + 2 < rawPath.length()) {
				int value = Integer.parseInt(rawPath.substring(i + 1, i + 3), 16);
				char decoded = (char) value;
				if (value < 0x80 && (Character.isLetterOrDigit(decoded) || "-._~".indexOf(decoded) >= 0)) {
					out.append(decoded);
				} else {
					out.append('%').append(rawPath.substring(i + 1, i + 3).toUpperCase(Locale.ROOT));
				}
				i += 2;
			} else {
				out.append(c);
			}
		}
		return out.toString();
	}

	/** RFC 3986 5.2.4 for an absolute path: {@code .} and {@code ..} segments resolved; never above the root. */
	static String removeDotSegments(String path) {
		Deque<String> segments = new ArrayDeque<>();
		String[] parts = path.split("/", -1);
		for (int i = 1; i < parts.length; i++) {
			boolean last = i == parts.length - 1;
			switch (parts[i]) {
				case "." -> {
					if (last) {
						segments.addLast("");
					}
				}
				case ".." -> {
					segments.pollLast();
					if (last) {
						segments.addLast("");
					}
				}
				default -> segments.addLast(parts[i]);
			}
		}
		return "/" + String.join("/", segments);
	}

	private static ForbiddenOperationException refused(String url, String why) {
		return new ForbiddenOperationException(BulkErrors.code(230) + "The input " + url + " is refused: " + why);
	}

	/** BULK-0216: an input URL that is malformed or of a scheme the import does not read. */
	static InvalidRequestException unusableUrl(String message) {
		return new InvalidRequestException(BulkErrors.code(216) + message);
	}
}
