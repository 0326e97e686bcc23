package hapibulk.export;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import hapibulk.support.fhir.FhirElements;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseConformance;

import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The export operations as Bulk Data clients look them up in the CapabilityStatement. HAPI names
 * each {@code export} (with the IG's canonical definition, from the provider's annotations); the IG's
 * own CapabilityStatement and several clients look for {@code patient-export} on Patient and
 * {@code group-export} on Group, so those names are added beside HAPI's entries. Bulk Data STU3's
 * {@code operation-not-supported} extension marks what an export cannot do: the types a Patient or
 * Group export never holds, and the search parameters HAPI lists that {@code _typeFilter} cannot run.
 * The search parameters themselves are HAPI's own list ({@code rest.resource.searchParam}): a
 * {@code _typeFilter} runs through the same search, so every other listed parameter is usable.
 */
@Interceptor
public class ExportCapabilityStatementInterceptor {

	public static final String OPERATION_NOT_SUPPORTED = "http://hl7.org/fhir/uv/bulkdata/Extension/operation-not-supported";

	/**
	 * Listed by HAPI's JPA server but refused in a search without a full-text index (the sample WAR
	 * has none), so also in {@code _typeFilter}.
	 */
	private static final Set<String> FULLTEXT_PARAMETERS = Set.of("_text", "_content");

	private static final List<String> ALL_EXPORTS = List.of(BulkExportProvider.SYSTEM_EXPORT_CANONICAL,
			BulkExportProvider.PATIENT_EXPORT_CANONICAL, BulkExportProvider.GROUP_EXPORT_CANONICAL);
	private static final List<String> COMPARTMENT_EXPORTS = List.of(BulkExportProvider.PATIENT_EXPORT_CANONICAL,
			BulkExportProvider.GROUP_EXPORT_CANONICAL);

	private final PatientCompartment compartment;
	private final boolean includeReferencedResources;
	private final BooleanSupplier fullTextSearch;

	/**
	 * @param includeReferencedResources whether Patient and Group exports hold types outside the compartment
	 * @param fullTextSearch             whether the JPA server has a full-text index ({@code _text}, {@code _content})
	 */
	public ExportCapabilityStatementInterceptor(PatientCompartment compartment, boolean includeReferencedResources,
			BooleanSupplier fullTextSearch) {
		this.compartment = compartment;
		this.includeReferencedResources = includeReferencedResources;
		this.fullTextSearch = fullTextSearch;
	}

	/** Idempotent: HAPI may hand the same (cached) statement to the hook again. */
	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareExportOperations(IBaseConformance capabilityStatement) {
		FhirElements fhir = FhirElements.of(capabilityStatement);
		IBase rest = fhir.serverRest(capabilityStatement);
		boolean fullText = fullTextSearch.getAsBoolean();
		ensureOperation(fhir, rest, "export", BulkExportProvider.SYSTEM_EXPORT_CANONICAL);
		for (IBase resource : fhir.all(rest, "resource")) {
			String type = fhir.text(resource, "type");
			if (PatientCompartment.PATIENT.equals(type)) {
				ensureOperation(fhir, resource, "export", BulkExportProvider.PATIENT_EXPORT_CANONICAL);
				ensureOperation(fhir, resource, "patient-export", BulkExportProvider.PATIENT_EXPORT_CANONICAL);
			} else if ("Group".equals(type)) {
				ensureOperation(fhir, resource, "export", BulkExportProvider.GROUP_EXPORT_CANONICAL);
				ensureOperation(fhir, resource, "group-export", BulkExportProvider.GROUP_EXPORT_CANONICAL);
			}
			// Which types are outside the compartment is the host's version's (R5 took Device out, put Task in).
			fhir.setExtensions(resource, OPERATION_NOT_SUPPORTED, "canonical",
					compartment.contains(type) || includeReferencedResources ? List.of() : COMPARTMENT_EXPORTS);
			for (IBase searchParam : fhir.all(resource, "searchParam")) {
				fhir.setExtensions(searchParam, OPERATION_NOT_SUPPORTED, "canonical",
						!fullText && FULLTEXT_PARAMETERS.contains(fhir.text(searchParam, "name")) ? ALL_EXPORTS : List.of());
			}
		}
	}

	private static void ensureOperation(FhirElements fhir, IBase parent, String name, String definition) {
		if (fhir.all(parent, "operation").stream().noneMatch(operation -> name.equals(fhir.text(operation, "name"))
				&& definition.equals(fhir.text(operation, "definition")))) {
			IBase operation = fhir.add(parent, "operation");
			fhir.set(operation, "name", name);
			fhir.set(operation, "definition", definition);
		}
	}
}
