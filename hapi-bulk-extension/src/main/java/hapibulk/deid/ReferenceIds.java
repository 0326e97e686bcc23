package hapibulk.deid;

import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The id part of a literal reference, changed by a function (cryptoHash, encrypt) and put back, so that
 * {@code Patient/123} becomes {@code Patient/<hash of 123>} and still points at the resource whose id was hashed
 * the same way (the anonymizer's treatment of {@code Reference.reference}). Relative, absolute,
 * {@code _history}, {@code urn:uuid:}, {@code urn:oid:} and contained ({@code #id}) references; anything else is
 * changed whole.
 */
final class ReferenceIds {

	private static final Pattern LITERAL = Pattern.compile(
			"^((?:https?://[^\\s?#]*/)?([A-Z][A-Za-z]+)/)([A-Za-z0-9\\-.]{1,64})(/_history/[A-Za-z0-9\\-.]{1,64})?$");
	private static final Pattern URN = Pattern.compile("^(urn:(?:uuid|oid):)(.+)$");

	private ReferenceIds() {}

	static String transform(String reference, UnaryOperator<String> change, Set<String> resourceTypes) {
		if (reference.startsWith("#")) {
			return reference.length() == 1 ? reference : "#" + change.apply(reference.substring(1));
		}
		int slash = relativeSlash(reference);
		if (slash > 0 && resourceTypes.contains(reference.substring(0, slash))) {
			// Type/id, the usual case, without the pattern (same answer as LITERAL)
			return reference.substring(0, slash + 1) + change.apply(reference.substring(slash + 1));
		}
		// No part of LITERAL admits a '?' (a match URL), and URN needs its prefix: skip what cannot match.
		if (reference.indexOf('?') < 0) {
			Matcher literal = LITERAL.matcher(reference);
			if (literal.matches() && resourceTypes.contains(literal.group(2))) {
				return literal.group(1) + change.apply(literal.group(3)) + (literal.group(4) == null ? "" : literal.group(4));
			}
		}
		if (reference.startsWith("urn:")) {
			Matcher urn = URN.matcher(reference);
			if (urn.matches()) {
				return urn.group(1) + change.apply(urn.group(2));
			}
		}
		return change.apply(reference);
	}

	/**
	 * The place of the slash in a plain relative {@code Type/id} ({@code [A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}}, one
	 * slash, no scheme, no history), or -1 for anything else (which goes through the patterns).
	 */
	private static int relativeSlash(String reference) {
		int slash = reference.indexOf('/');
		int idLength = reference.length() - slash - 1;
		if (slash < 2 || idLength < 1 || idLength > 64 || reference.charAt(0) < 'A' || reference.charAt(0) > 'Z') {
			return -1;
		}
		for (int i = 1; i < slash; i++) {
			char c = reference.charAt(i);
			if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
				return -1;
			}
		}
		for (int i = slash + 1; i < reference.length(); i++) {
			char c = reference.charAt(i);
			if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) {
				return -1;
			}
		}
		return slash;
	}
}
