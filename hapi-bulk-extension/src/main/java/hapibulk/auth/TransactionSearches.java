package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseBundle;

import java.util.ArrayList;
import java.util.List;

/**
 * The searches a transaction or batch Bundle makes besides its entries' inline match URLs: the
 * conditional URLs of its writes ({@code ifNoneExist}; a PUT, PATCH or DELETE to {@code Type?query})
 * and its GET entries' queries, each as {@code Type?query}. HAPI runs the conditional ones inside the
 * transaction, without the REST hooks that check a lone conditional request.
 */
final class TransactionSearches {

	private TransactionSearches() {}

	static List<String> of(FhirContext fhirContext, IBaseBundle bundle) {
		FhirTerser terser = fhirContext.newTerser();
		List<String> searches = new ArrayList<>();
		for (IBase entry : terser.getValues(bundle, "Bundle.entry")) {
			String url = trim(terser.getSinglePrimitiveValueOrNull(entry, "request.url"));
			String ifNoneExist = trim(terser.getSinglePrimitiveValueOrNull(entry, "request.ifNoneExist"));
			if (url != null && url.contains("?")) {
				searches.add(url);
			}
			if (ifNoneExist != null) {
				String type = url == null ? "" : url.split("[/?]", 2)[0];
				searches.add(ifNoneExist.contains("?") ? ifNoneExist : type + "?" + ifNoneExist);
			}
		}
		return searches;
	}

	private static String trim(String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		String trimmed = value.strip();
		return trimmed.startsWith("/") ? trimmed.substring(1) : trimmed;
	}
}
