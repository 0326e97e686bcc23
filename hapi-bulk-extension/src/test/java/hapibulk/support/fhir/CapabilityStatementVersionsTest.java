package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import hapibulk.auth.SmartCapabilityStatementInterceptor;
import hapibulk.config.BulkCapabilityStatementInterceptor;
import hapibulk.export.ExportCapabilityStatementInterceptor;
import hapibulk.export.PatientCompartment;
import hapibulk.support.ServerBaseUrl;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three interceptors that write into the CapabilityStatement, on a statement of each FHIR version (the host
 * tests see HAPI's own statements of R4B and R5; this one also covers mode smart's security part): the same
 * elements, written once however often HAPI hands the statement over.
 */
class CapabilityStatementVersionsTest {

	@ParameterizedTest
	@ValueSource(strings = {"R4", "R4B", "R5"})
	void bulkExportAndSmartDeclarations_areWrittenIntoAStatementOfEachVersion_once(String version) {
		// given: a statement with rest.resource Patient, Group, Device and a _text search parameter
		FhirContext fhirContext = switch (version) {
			case "R4" -> FhirContext.forR4Cached();
			case "R4B" -> FhirContext.forR4BCached();
			default -> FhirContext.forR5Cached();
		};
		IBaseConformance statement = (IBaseConformance) fhirContext.getResourceDefinition("CapabilityStatement")
				.newInstance();
		FhirElements fhir = FhirElements.of(statement);
		IBase rest = fhir.serverRest(statement);
		for (String type : List.of("Patient", "Group", "Device")) {
			fhir.set(fhir.add(rest, "resource"), "type", type);
		}
		fhir.set(fhir.add(fhir.all(rest, "resource").get(0), "searchParam"), "name", "_text");
		PatientCompartment compartment = new PatientCompartment(fhirContext);
		SystemRequestDetails request = new SystemRequestDetails();
		request.setFhirServerBase("http://localhost/fhir");

		// when: twice, as HAPI may hand a cached statement to the hooks again
		for (int i = 0; i < 2; i++) {
			new BulkCapabilityStatementInterceptor().declareBulkData(statement, request);
			new ExportCapabilityStatementInterceptor(compartment, false, () -> false).declareExportOperations(statement);
			new SmartCapabilityStatementInterceptor(new ServerBaseUrl("http://localhost/fhir"))
					.declareSmart(statement, request);
		}

		// then
		String json = fhirContext.newJsonParser().encodeResourceToString(statement);
		FhirContext.forCached(fhirContext.getVersion().getVersion()).newJsonParser().parseResource(json);
		assertThat(fhir.texts(statement, "instantiates"))
				.containsExactly(BulkCapabilityStatementInterceptor.BULK_DATA_CAPABILITY_STATEMENT);
		assertThat(operations(fhir, rest)).containsExactly("export");
		List<IBase> resources = fhir.all(rest, "resource");
		assertThat(operations(fhir, resources.get(0))).containsExactly("export", "patient-export");
		assertThat(operations(fhir, resources.get(1))).containsExactly("export", "group-export");
		String notSupported = ExportCapabilityStatementInterceptor.OPERATION_NOT_SUPPORTED;
		// Device: in R4's and R4B's Patient compartment, not in R5's
		assertThat(json.split(notSupported, -1).length - 1).as(json)
				.isEqualTo(3 + (version.equals("R5") ? 2 : 0));
		IBase security = fhir.all(rest, "security").get(0);
		assertThat(fhir.all(security, "service")).hasSize(1);
		assertThat(json).contains("SMART-on-FHIR").contains("http://localhost/fhir/auth/token")
				.containsOnlyOnce(SmartCapabilityStatementInterceptor.OAUTH_URIS);
	}

	private static List<String> operations(FhirElements fhir, IBase parent) {
		return fhir.all(parent, "operation").stream().map(operation -> fhir.text(operation, "name")).toList();
	}
}
