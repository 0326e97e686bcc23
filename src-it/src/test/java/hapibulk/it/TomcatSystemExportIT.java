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
	void capabilityStatement_listsTheExportOperation() {
		HttpResponse<String> metadata = server.get("metadata", "Accept", "application/fhir+json");

		assertThat(metadata.statusCode()).isEqualTo(200);
		JsonNode operations = FhirHttp.json(metadata).at("/rest/0/operation");
		assertThat(operations.findValuesAsText("name")).contains("export");
	}
}
