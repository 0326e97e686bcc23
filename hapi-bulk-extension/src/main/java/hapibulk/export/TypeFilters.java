package hapibulk.export;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.searchparam.MatchUrlService;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.support.BulkErrors;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code _typeFilter}: FHIR searches ({@code MedicationRequest?status=active}) that narrow one type
 * each, with the JPA server's own search semantics. Several filters on one type are OR'ed.
 */
public class TypeFilters {

	/** A comma that starts the next query (STU2 joins queries with commas; values may contain commas too). */
	private static final Pattern NEXT_QUERY = Pattern.compile(",(?=[A-Z][A-Za-z]+\\?)");
	/** Search result parameters, which the IG forbids in {@code _typeFilter}. */
	private static final Set<String> RESULT_PARAMETERS = Set.of("_include", "_revinclude", "_sort", "_count",
			"_elements", "_summary", "_total", "_contained", "_containedType", "_offset");

	private final FhirContext fhirContext;
	private final MatchUrlService matchUrlService;

	public TypeFilters(FhirContext fhirContext, MatchUrlService matchUrlService) {
		this.fhirContext = fhirContext;
		this.matchUrlService = matchUrlService;
	}

	/** Splits and checks the values; each result is one {@code Type?query}. A query that cannot run is a 400. */
	public List<String> parse(List<String> values, List<String> exportedTypes) {
		return parse(values, exportedTypes, null);
	}

	/**
	 * @param ignored null to refuse (400) a query the server cannot run; else such a query is dropped and
	 *                added here (lenient handling), and the others are kept
	 */
	public List<String> parse(List<String> values, List<String> exportedTypes, List<IgnoredParameter> ignored) {
		List<String> queries = new ArrayList<>();
		for (String value : values) {
			for (String query : NEXT_QUERY.split(value.trim())) {
				try {
					check(query, exportedTypes);
					queries.add(query);
				} catch (InvalidRequestException e) {
					if (ignored == null) {
						throw e;
					}
					ignored.add(new IgnoredParameter(ExportParameterNames.TYPE_FILTER, e.getMessage()));
				}
			}
		}
		return List.copyOf(queries);
	}

	/** The search a query stands for. */
	public SearchParameterMap searchOf(String query) {
		String type = typeOf(query);
		SearchParameterMap map = matchUrlService.translateMatchUrl(query, fhirContext.getResourceDefinition(type));
		map.setLoadSynchronous(true);
		return map;
	}

	public static String typeOf(String query) {
		return query.substring(0, query.indexOf('?'));
	}

	private void check(String query, List<String> exportedTypes) {
		int question = query.indexOf('?');
		String type = question < 0 ? query : query.substring(0, question);
		if (question < 1 || !fhirContext.getResourceTypes().contains(type)) {
			throw new InvalidRequestException(BulkErrors.code(121) + "_typeFilter '" + query
					+ "' is not a search of the form Type?parameters");
		}
		if (!exportedTypes.isEmpty() && !exportedTypes.contains(type)) {
			throw new InvalidRequestException(BulkErrors.code(122) + "_typeFilter '" + query + "' filters " + type
					+ ", which _type does not export");
		}
		for (String parameter : query.substring(question + 1).split("&")) {
			String name = parameter.split("[=:]", 2)[0];
			if (RESULT_PARAMETERS.contains(name)) {
				throw new InvalidRequestException(BulkErrors.code(123) + "_typeFilter '" + query
						+ "' uses the result parameter " + name + ", which the Bulk Data IG does not allow");
			}
		}
		// HAPI refuses unknown search parameters and malformed values here, with its own message.
		try {
			searchOf(query);
		} catch (BaseServerResponseException e) {
			throw new InvalidRequestException(BulkErrors.code(128) + "_typeFilter '" + query
					+ "' is not a search this server can run: " + e.getMessage());
		} catch (RuntimeException e) {
			throw new InvalidRequestException(BulkErrors.code(129) + "_typeFilter '" + query
					+ "' is not a search this server can run");
		}
	}
}
