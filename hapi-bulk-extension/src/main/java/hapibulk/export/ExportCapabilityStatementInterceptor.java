package hapibulk.export;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceOperationComponent;
import org.hl7.fhir.r4.model.Element;

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
		if (!(capabilityStatement instanceof CapabilityStatement r4)) {
			return;
		}
		if (r4.getRest().isEmpty()) {
			r4.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
		}
		CapabilityStatementRestComponent rest = r4.getRestFirstRep();
		boolean fullText = fullTextSearch.getAsBoolean();
		ensureOperation(rest.getOperation(), "export", BulkExportProvider.SYSTEM_EXPORT_CANONICAL);
		for (var resource : rest.getResource()) {
			String type = resource.getType();
			if (type.equals(PatientCompartment.PATIENT)) {
				ensureOperation(resource.getOperation(), "export", BulkExportProvider.PATIENT_EXPORT_CANONICAL);
				ensureOperation(resource.getOperation(), "patient-export", BulkExportProvider.PATIENT_EXPORT_CANONICAL);
			} else if (type.equals("Group")) {
				ensureOperation(resource.getOperation(), "export", BulkExportProvider.GROUP_EXPORT_CANONICAL);
				ensureOperation(resource.getOperation(), "group-export", BulkExportProvider.GROUP_EXPORT_CANONICAL);
			}
			markNotSupported(resource, compartment.contains(type) || includeReferencedResources ? List.of()
					: COMPARTMENT_EXPORTS);
			for (var searchParam : resource.getSearchParam()) {
				markNotSupported(searchParam, !fullText && FULLTEXT_PARAMETERS.contains(searchParam.getName())
						? ALL_EXPORTS : List.of());
			}
		}
	}

	private static void ensureOperation(List<CapabilityStatementRestResourceOperationComponent> operations, String name,
			String definition) {
		if (operations.stream().noneMatch(operation -> name.equals(operation.getName())
				&& definition.equals(operation.getDefinition()))) {
			operations.add(new CapabilityStatementRestResourceOperationComponent().setName(name).setDefinition(definition));
		}
	}

	/** Sets the element's operation-not-supported extensions to exactly one per operation named. */
	private static void markNotSupported(Element element, List<String> operations) {
		element.getExtension().removeIf(extension -> OPERATION_NOT_SUPPORTED.equals(extension.getUrl()));
		for (String operation : operations) {
			element.addExtension(OPERATION_NOT_SUPPORTED, new CanonicalType(operation));
		}
	}
}
