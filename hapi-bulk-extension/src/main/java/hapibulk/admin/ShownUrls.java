package hapibulk.admin;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * URLs as administrators see them: an import source without its query, fragment and user info (a pre-signed URL
 * carries its signature in the query, a basic-auth URL its password in the user info), and in the job list a
 * kick-off URL without its query and without the patient id of {@code Patient/[id]/$export} (the job's detail
 * view shows the whole kick-off URL).
 */
final class ShownUrls {

	static final String PATIENT_PLACEHOLDER = "{id}";

	private ShownUrls() {}

	/** An import source: scheme, host, port and path only. */
	static String source(String url) {
		if (url == null) {
			return null;
		}
		try {
			URI uri = new URI(url);
			if (uri.isOpaque()) {
				return uri.getScheme() + ":" + beforeQuery(uri.getRawSchemeSpecificPart());
			}
			return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), null, null, null)
					+ nullToEmpty(uri.getRawPath());
		} catch (URISyntaxException | IllegalArgumentException e) {
			// Not a URI we can take apart: keep what cannot hold a secret, the part before any '?', '#' or '@'.
			String kept = beforeQuery(url);
			int at = kept.lastIndexOf('@');
			int scheme = kept.indexOf("://");
			return at < 0 ? kept : (scheme < 0 ? "" : kept.substring(0, scheme + 3)) + kept.substring(at + 1);
		}
	}

	/** A kick-off URL in the job list: no query, and {@code Patient/{id}/$export} for a patient's own export. */
	static String listedRequest(String url) {
		if (url == null) {
			return null;
		}
		return beforeQuery(url).replaceFirst("/Patient/[^/]+/\\$export$", "/Patient/" + PATIENT_PLACEHOLDER + "/\\$export");
	}

	private static String beforeQuery(String text) {
		int end = text.length();
		for (char c : new char[] {'?', '#'}) {
			int i = text.indexOf(c);
			if (i >= 0 && i < end) {
				end = i;
			}
		}
		return text.substring(0, end);
	}

	private static String nullToEmpty(String text) {
		return text == null ? "" : text;
	}
}
