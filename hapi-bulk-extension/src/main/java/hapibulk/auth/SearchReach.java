package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.util.UrlUtil;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resource types a search looks into besides the one it returns: {@code _has} (reverse chains),
 * chained parameters ({@code subject:Patient.name}, {@code subject.name}) and
 * {@code _include}/{@code _revinclude}. A token that may read only Patient learns which patients have
 * a given Condition from {@code Patient?_has:Condition:patient:code=X}, without reading one Condition;
 * so every type reached must be readable too. Chain targets come from HAPI's search parameter
 * registry (custom SearchParameters included): a reference parameter with several targets and no
 * type modifier reaches all of them, one without declared targets reaches {@link #ANY} type.
 */
public class SearchReach {

	/** Stands for "any resource type" (a reference that may point anywhere, {@code _include=*}). */
	public static final String ANY = "*";

	private final FhirContext fhirContext;
	private final ISearchParamRegistry registry;

	/** @param registry HAPI's registry, or null to use the FhirContext's built-in parameters only */
	public SearchReach(FhirContext fhirContext, ISearchParamRegistry registry) {
		this.fhirContext = fhirContext;
		this.registry = registry;
	}

	/** Of the types reached, those the scopes do not let the token read ({@link #ANY} needs every type). */
	public static Set<String> unreadable(ScopeSet scopes, Set<String> reached) {
		Set<String> unreadable = new LinkedHashSet<>();
		for (String type : reached) {
			if (type.equals(ANY) ? !scopes.readsAllTypes() : !scopes.mayRead(type)) {
				unreadable.add(type.equals(ANY) ? "any type" : type);
			}
		}
		return unreadable;
	}

	/**
	 * Of the types reached, those not among {@code readable} ({@link #ANY} needs every type).
	 *
	 * @param readable what {@link #readable(ScopeSet)} gave; null: every type
	 */
	public static Set<String> unreadable(Set<String> readable, Set<String> reached) {
		Set<String> unreadable = new LinkedHashSet<>();
		if (readable == null) {
			return unreadable;
		}
		boolean allTypes = readable.contains(SmartScope.ALL_TYPES);
		for (String type : reached) {
			boolean mayRead = type.equals(ANY) ? allTypes
					: type.equals(ScopeSet.AUDIT_TYPE) ? readable.contains(type) : allTypes || readable.contains(type);
			if (!mayRead) {
				unreadable.add(type.equals(ANY) ? "any type" : type);
			}
		}
		return unreadable;
	}

	/**
	 * The types the scopes let a token read, as a set a job can carry: {@code *} for every type but AuditEvent,
	 * which is named when the audit scope is held; null when every type, AuditEvent included, may be read.
	 */
	public static Set<String> readable(ScopeSet scopes) {
		if (!scopes.readsAllTypes()) {
			return scopes.readableTypes();
		}
		return scopes.audit() ? null : Set.of(SmartScope.ALL_TYPES);
	}

	FhirContext fhirContext() {
		return fhirContext;
	}

	/** The types {@code Type?query} reaches ({@code _typeFilter}, conditional URLs). */
	public Set<String> typesReached(String matchUrl) {
		int question = matchUrl.indexOf('?');
		String type = question < 0 ? matchUrl : matchUrl.substring(0, question);
		String query = question < 0 ? "" : matchUrl.substring(question + 1);
		return typesReached(type.isEmpty() ? null : type, UrlUtil.parseQueryString(query));
	}

	/**
	 * The types the parameters reach, the searched type itself not counted unless a parameter leads
	 * back to it; {@link #ANY} when they may reach every type.
	 *
	 * @param resourceType the searched type, or null for a search across all types
	 */
	public Set<String> typesReached(String resourceType, Map<String, String[]> parameters) {
		Set<String> reached = new LinkedHashSet<>();
		List<String> from = resourceType == null ? List.of(ANY) : List.of(resourceType);
		for (Map.Entry<String, String[]> parameter : parameters.entrySet()) {
			String name = parameter.getKey();
			List<String> values = parameter.getValue() == null ? List.of() : Arrays.asList(parameter.getValue());
			if (name.equals("_include") || name.startsWith("_include:")) {
				values.forEach(value -> include(value, reached));
			} else if (name.equals("_revinclude") || name.startsWith("_revinclude:")) {
				values.forEach(value -> revinclude(value, reached));
			} else {
				parameter(from, name, reached);
			}
		}
		return reached;
	}

	/** One parameter name searched on {@code from}: a {@code _has}, a chain, or a plain parameter (reaches nothing). */
	private void parameter(Collection<String> from, String name, Set<String> reached) {
		if (name.startsWith("_has:")) {
			// _has:Type:referenceParam:parameterOnType (which may itself be a _has or a chain)
			String[] parts = name.split(":", 4);
			if (parts.length < 4 || !isType(parts[1])) {
				reached.add(ANY);
				return;
			}
			reached.add(parts[1]);
			parameter(List.of(parts[1]), parts[3], reached);
			return;
		}
		if (!name.contains(".") || name.startsWith("_")) {
			return;
		}
		String[] links = name.split("\\.");
		Collection<String> current = from;
		// Every link but the last names a reference parameter whose targets the chain moves on to.
		for (int i = 0; i < links.length - 1; i++) {
			String[] paramAndType = links[i].split(":", 2);
			Set<String> targets = paramAndType.length == 2 && isType(paramAndType[1]) ? Set.of(paramAndType[1])
					: targets(current, paramAndType[0]);
			reached.addAll(targets);
			if (targets.contains(ANY)) {
				return;
			}
			current = targets;
		}
	}

	/** {@code _include=Source:param[:Target]}, {@code Source:*}, {@code *}. */
	private void include(String value, Set<String> reached) {
		String[] parts = value.split(":");
		if (parts.length < 2 || !isType(parts[0]) || parts[1].equals("*")) {
			reached.add(ANY);
			return;
		}
		// The source too: with :iterate it is whatever an earlier include brought in.
		reached.add(parts[0]);
		if (parts.length >= 3 && isType(parts[2])) {
			reached.add(parts[2]);
		} else {
			reached.addAll(targets(List.of(parts[0]), parts[1]));
		}
	}

	/** {@code _revinclude=Source:param[:Target]}: brings in resources of {@code Source}. */
	private void revinclude(String value, Set<String> reached) {
		String[] parts = value.split(":");
		if (parts.length < 2 || !isType(parts[0])) {
			reached.add(ANY);
			return;
		}
		reached.add(parts[0]);
	}

	/** The types a reference parameter on any of {@code types} may point to; {@link #ANY} if unknown or open. */
	private Set<String> targets(Collection<String> types, String param) {
		Set<String> targets = new LinkedHashSet<>();
		for (String type : types) {
			if (type.equals(ANY)) {
				return Set.of(ANY);
			}
			RuntimeSearchParam searchParam = find(type, param);
			if (searchParam == null || searchParam.getParamType() != RestSearchParameterTypeEnum.REFERENCE
					|| searchParam.getTargets().isEmpty()) {
				// Unknown or untyped: assume the worst (HAPI refuses an unknown parameter anyway).
				return Set.of(ANY);
			}
			targets.addAll(searchParam.getTargets());
		}
		return targets;
	}

	private RuntimeSearchParam find(String type, String param) {
		if (registry != null) {
			RuntimeSearchParam found = registry.getActiveSearchParam(type, param,
					ISearchParamRegistry.SearchParamLookupContextEnum.SEARCH);
			if (found == null) {
				found = registry.getActiveSearchParam("Resource", param,
						ISearchParamRegistry.SearchParamLookupContextEnum.SEARCH);
			}
			return found;
		}
		RuntimeResourceDefinition definition = isType(type) ? fhirContext.getResourceDefinition(type) : null;
		return definition == null ? null : definition.getSearchParam(param);
	}

	private boolean isType(String name) {
		return fhirContext.getResourceTypes().contains(name);
	}
}
