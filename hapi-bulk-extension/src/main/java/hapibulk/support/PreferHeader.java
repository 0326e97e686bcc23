package hapibulk.support;

import java.util.List;
import java.util.Locale;

/**
 * The {@code Prefer} header of bulk kick-offs (RFC 7240), parsed in one place for export and import.
 * Each preference is {@code token [= value] *(; parameter)}; parameters are allowed and ignored
 * (RFC 7240 lets a server ignore what it does not know), so {@code respond-async; foo} is still
 * {@code respond-async}.
 *
 * @param respondAsync         {@code respond-async}
 * @param lenient              {@code handling=lenient}
 * @param separateExportStatus {@code separate-export-status}
 */
public record PreferHeader(boolean respondAsync, boolean lenient, boolean separateExportStatus) {

	public static PreferHeader of(List<String> headers) {
		boolean async = false;
		boolean lenient = false;
		boolean separate = false;
		for (String header : headers == null ? List.<String>of() : headers) {
			for (String preference : header.split(",")) {
				String head = preference.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
				int equals = head.indexOf('=');
				String token = (equals < 0 ? head : head.substring(0, equals)).strip();
				String value = equals < 0 ? "" : unquote(head.substring(equals + 1).strip());
				async |= token.equals("respond-async");
				lenient |= token.equals("handling") && value.equals("lenient");
				separate |= token.equals("separate-export-status");
			}
		}
		return new PreferHeader(async, lenient, separate);
	}

	private static String unquote(String value) {
		return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
				? value.substring(1, value.length() - 1) : value;
	}
}
