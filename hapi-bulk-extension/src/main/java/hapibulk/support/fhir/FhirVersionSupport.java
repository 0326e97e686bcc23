package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.FhirVersionEnum;
import hapibulk.support.BulkErrors;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.EnumSet;
import java.util.Set;

/**
 * The one seam between the extension and the FHIR version of its host, chosen once from the host's
 * {@link FhirContext}. Everything else works on HAPI's version-neutral API ({@code IBaseResource}, the context's
 * resource and search parameter definitions, {@code FhirTerser}, {@code OperationOutcomeUtil}, the host's
 * parsers), and the stored JSON the export reads and the import writes is the host's own. What R4, R4B and R5
 * differ in for us is only the shape of the AuditEvent (R5 reshaped it); the Patient compartment comes from the
 * context's search parameters ({@code PatientCompartment}), which HAPI gives for each version.
 */
public interface FhirVersionSupport {

	/** The versions the extension serves; DSTU2 and DSTU3 are refused at start-up. */
	Set<FhirVersionEnum> SUPPORTED = EnumSet.of(FhirVersionEnum.R4, FhirVersionEnum.R4B, FhirVersionEnum.R5);

	/** The support for the host's version; refuses (BULK-0560) a version the extension does not serve. */
	static FhirVersionSupport of(FhirContext fhirContext) {
		FhirVersionEnum version = fhirContext.getVersion().getVersion();
		return switch (version) {
			// R4B kept R4's AuditEvent unchanged.
			case R4, R4B -> new R4AuditEvents(fhirContext);
			case R5 -> new R5AuditEvents(fhirContext);
			default -> throw new IllegalStateException(BulkErrors.code(560) + "hapi-bulk serves FHIR R4, R4B and R5;"
					+ " this server's FhirContext is FHIR " + version.getFhirVersionString() + " (" + version + ")."
					+ " Run the server on R4, R4B or R5 (hapi.fhir.fhir_version in the JPA starter), or set"
					+ " hapi.bulk.enabled=false.");
		};
	}

	FhirContext fhirContext();

	/** The host's FHIR version. */
	default FhirVersionEnum version() {
		return fhirContext().getVersion().getVersion();
	}

	/** A bulk action as an AuditEvent of the host's version. */
	IBaseResource auditEvent(AuditEventFacts facts);
}
