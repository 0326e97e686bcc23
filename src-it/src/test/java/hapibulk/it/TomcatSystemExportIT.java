package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample WAR deployed to a real Tomcat 10.1, which Cargo starts before the integration tests
 * and stops after them (src-it/pom.xml).
 */
class TomcatSystemExportIT {

	private final FhirHttp server = new FhirHttp("http://localhost:" + System.getProperty("tomcat.port") + "/fhir");

	@Test
	void systemExport_inTomcat_returnsEveryLoadedResourceOnce() throws InterruptedException {
		SystemExportScenario.run(server);
	}

	@Test
	void capabilityStatement_instantiatesBulkData_andListsTheThreeExportOperations() {
		HttpResponse<String> metadata = server.get("metadata", "Accept", "application/fhir+json");

		assertThat(metadata.statusCode()).isEqualTo(200);
		JsonNode capabilityStatement = FhirHttp.json(metadata);
		assertThat(capabilityStatement.get("instantiates").toString())
				.contains("http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data");
		assertThat(capabilityStatement.at("/rest/0/operation").toString())
				.contains("\"name\":\"export\"")
				.contains("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export");
		assertThat(operationsOf(capabilityStatement, "Patient"))
				.contains("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export");
		assertThat(operationsOf(capabilityStatement, "Group"))
				.contains("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export");
	}

	private static String operationsOf(JsonNode capabilityStatement, String type) {
		for (JsonNode resource : capabilityStatement.at("/rest/0/resource")) {
			if (resource.get("type").asText().equals(type)) {
				return resource.path("operation").toString();
			}
		}
		return "";
	}
}
