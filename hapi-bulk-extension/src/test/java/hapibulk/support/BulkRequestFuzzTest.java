package hapibulk.support;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.BulkRequestCases;
import hapibulk.testsupport.BulkRequestCases.Request;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generated malformed and odd requests of {@link BulkRequestCases} to every bulk endpoint, through the
 * host's real RestfulServer: none may answer 5xx, and no answer may carry a stack trace, SQL, a file path or a
 * class name that the request did not itself contain.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkRequestFuzzTest {

	private static Path files;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		files = Files.createTempDirectory("hapi-bulk-fuzz");
		registry.add("hapi.bulk.file-directory", files::toString);
		registry.add("hapi.bulk.auth.mode", () -> "none");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.export.max-running-exports", () -> "1000");
	}

	@Autowired
	RestfulServer restfulServer;
	@Autowired
	DaoRegistry daoRegistry;

	RestfulServerClient client;
	final BulkRequestCases cases = new BulkRequestCases("hapi-bulk-fuzz");

	@BeforeAll
	void loadData() {
		client = new RestfulServerClient(restfulServer);
		SystemRequestDetails request = new SystemRequestDetails();
		Patient patient = new Patient();
		patient.setId("p1");
		daoRegistry.getResourceDao("Patient").update(patient, request);
		Group group = new Group();
		group.setId("g1");
		group.setType(Group.GroupType.PERSON).setActual(true);
		group.addMember().getEntity().setReference("Patient/p1");
		daoRegistry.getResourceDao("Group").update(group, request);
	}

	@Test
	void generatedRequests_neverAnswer5xx_norShowInternals() {
		// given
		String jobStatus = client.get("$export?_type=Patient", "Accept", "application/fhir+json", "Prefer",
				"respond-async").header("Content-Location");
		String jobId = jobStatus.substring(jobStatus.indexOf("job=") + 4);
		List<String> failures = new ArrayList<>();
		TreeMap<Integer, Integer> statuses = new TreeMap<>();
		for (int i = 0; i < BulkRequestCases.CASES; i++) {
			Request request = cases.next(i, jobId);
			// when
			Answer answer = client.send(request.method(), request.path(), request.body(), request.headers());
			// then
			statuses.merge(answer.status(), 1, Integer::sum);
			String problem = cases.problem(request, answer.status(), answer.body());
			if (problem != null) {
				failures.add("case " + i + ": " + request + " -> " + answer.status() + " " + problem + "\n" + answer.body());
			}
			if (answer.status() == 202 && answer.header("Content-Location") != null) {
				client.delete(answer.header("Content-Location"));
			}
		}
		System.out.println("Fuzz answers by status: " + statuses);
		assertThat(failures).isEmpty();
		assertThat(statuses.keySet()).as("the cases reach past the first checks").contains(202, 400, 404);
	}
}
