package hapibulk.export;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Patient CompartmentDefinition of the host's FHIR version as HAPI knows it: which resource types belong to a
 * patient's compartment, and through which reference paths (the search parameters that the definition names; the
 * paths HAPI stores in {@code HFJ_RES_LINK.SRC_PATH}). Patient and Group exports are bounded by it. R5 changed the
 * compartment (Device left it, Task and others joined): nothing here names a type but Patient.
 */
public class PatientCompartment {

	public static final String PATIENT = "Patient";

	private final Map<String, List<String>> pathsByType;

	public PatientCompartment(FhirContext fhirContext) {
		Map<String, List<String>> paths = new TreeMap<>();
		for (String type : fhirContext.getResourceTypes()) {
			RuntimeResourceDefinition definition = fhirContext.getResourceDefinition(type);
			List<String> typePaths = definition.getSearchParams().stream()
					.filter(param -> Objects.requireNonNullElse(param.getProvidesMembershipInCompartments(), Set.of())
							.contains(PATIENT))
					// From R4B on, a parameter shared by several types has one expression for all of them.
					.map(param -> param.getPathsSplitForResourceType(type))
					.flatMap(List::stream)
					.distinct()
					.sorted()
					.toList();
			if (type.equals(PATIENT)) {
				paths.put(type, List.of());
			} else if (!typePaths.isEmpty()) {
				paths.put(type, typePaths);
			}
		}
		this.pathsByType = Collections.unmodifiableMap(paths);
	}

	/** Every type of the compartment, Patient included, sorted. */
	public Set<String> types() {
		return pathsByType.keySet();
	}

	public boolean contains(String type) {
		return pathsByType.containsKey(type);
	}

	/** Every reference path of every type through which a resource belongs to a patient's compartment. */
	public List<String> allPaths() {
		return pathsByType.values().stream().flatMap(List::stream).distinct().sorted().toList();
	}

	/** The reference paths through which a resource of {@code type} belongs to a patient's compartment. */
	public List<String> paths(String type) {
		return pathsByType.getOrDefault(type, List.of());
	}
}
