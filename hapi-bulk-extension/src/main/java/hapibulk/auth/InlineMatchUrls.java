package hapibulk.auth;

import ca.uhn.fhir.util.BundleUtil;
import org.hl7.fhir.instance.model.api.IBaseBundle;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Inline match URLs: references such as {@code {"reference":"Patient?family=Smith"}} that HAPI JPA
 * resolves, when a resource is stored, by searching their type as the writer ({@code 201} when one
 * resource matches, {@code 404}/{@code 412} otherwise, and the stored reference names the match). A
 * writer learns from that what it may not read, so every type such a search looks into must be
 * readable: the reference's own type and whatever its {@code _has} and chains reach ({@link SearchReach}).
 * References are found as HAPI finds them (every populated Reference of the resource, those of
 * contained resources included) and in a Bundle's entries, and read as HAPI reads them: the text after
 * the last {@code /} before the {@code ?} ({@code http://x/fhir/Patient?a=b} and {@code Patient/?a=b}
 * both search Patient).
 */
public class InlineMatchUrls {

	private final SearchReach searchReach;

	public InlineMatchUrls(SearchReach searchReach) {
		this.searchReach = searchReach;
	}

	/** The match URLs ({@code Type?query}) of the resource's references, in document order, without repeats. */
	public Set<String> in(IBaseResource resource) {
		Set<String> urls = new LinkedHashSet<>();
		if (resource == null) {
			return urls;
		}
		if (resource instanceof IBaseBundle bundle) {
			// HAPI's terser does not descend into entries, but a transaction resolves their match URLs
			BundleUtil.toListOfResources(searchReach.fhirContext(), bundle).forEach(entry -> urls.addAll(in(entry)));
		}
		for (IBaseReference reference : searchReach.fhirContext().newTerser()
				.getAllPopulatedChildElementsOfType(resource, IBaseReference.class)) {
			String text = reference.getReferenceElement() == null ? null : reference.getReferenceElement().getValue();
			if (text != null && text.indexOf('?') >= 0) {
				urls.add(matchUrl(text));
			}
		}
		return urls;
	}

	/** The types the resource's match URLs search: their own types and what their parameters reach. */
	public Set<String> typesReached(IBaseResource resource) {
		Set<String> reached = new LinkedHashSet<>();
		for (String url : in(resource)) {
			String type = url.substring(0, url.indexOf('?'));
			reached.add(type.isEmpty() ? SearchReach.ANY : type);
			reached.addAll(searchReach.typesReached(url));
		}
		return reached;
	}

	/**
	 * Of the types the resource's match URLs search, those not among {@code readable} (null: every type
	 * may be read).
	 */
	public Set<String> unreadable(IBaseResource resource, Set<String> readable) {
		return SearchReach.unreadable(readable, typesReached(resource));
	}

	/** A reference's text as HAPI resolves it: {@code Type?query}. */
	static String matchUrl(String reference) {
		int question = reference.indexOf('?');
		String url = reference;
		for (int i = question - 1; i >= 0; i--) {
			if (reference.charAt(i) == '/') {
				if (reference.charAt(i + 1) == '?') {
					continue; // Patient/?a=b
				}
				url = reference.substring(i + 1);
				break;
			}
		}
		int urlQuestion = url.indexOf('?');
		return url.substring(0, urlQuestion).replace("/", "") + url.substring(urlQuestion);
	}
}
