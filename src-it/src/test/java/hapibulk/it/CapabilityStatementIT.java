package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample WAR's {@code /metadata} as a Bulk Data client reads it: the export operations under the
 * names and canonical definitions clients look for, HAPI's own entries kept, the search parameters
 * usable in {@code _typeFilter}, and STU3's operation-not-supported marks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedPlainWar.class)
class CapabilityStatementIT {

	private static final String DEFINITIONS = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/";
	private static final String NOT_SUPPORTED = "http://hl7.org/fhir/uv/bulkdata/Extension/operation-not-supported";

	private WarProcess server;
	private JsonNode rest;

	@BeforeAll
	void readMetadata(WarProcess shared) {
		// The shared server keeps Patient and Group exports to their compartment: that decides the marks.
		server = shared;
		var metadata = server.http().get("metadata", "Accept", "application/fhir+json");
		assertThat(metadata.statusCode()).isEqualTo(200);
		rest = FhirHttp.json(metadata).at("/rest/0");
	}

	@Test
	void exportOperations_carryTheNamesClientsLookFor_withTheIgsCanonicalDefinitions() {
		assertThat(operations(rest)).contains("export " + DEFINITIONS + "export");
		assertThat(operations(resource("Patient")))
				.contains("export " + DEFINITIONS + "patient-export", "patient-export " + DEFINITIONS + "patient-export");
		assertThat(operations(resource("Group")))
				.contains("export " + DEFINITIONS + "group-export", "group-export " + DEFINITIONS + "group-export");
	}

	@Test
	void hapisOwnEntries_stay_andNoneIsListedTwice() {
		List<String> patientOperations = operations(resource("Patient"));
		assertThat(patientOperations).anyMatch(operation -> operation.startsWith("everything "));
		assertThat(patientOperations).doesNotHaveDuplicates();
		assertThat(operations(resource("Group"))).doesNotHaveDuplicates();
		assertThat(operations(rest)).doesNotHaveDuplicates();
		assertThat(resource("Patient").path("interaction").toString()).contains("\"read\"", "\"search-type\"");
	}

	@Test
	void searchParameters_usableInTypeFilter_areListedPerResource() {
		assertThat(searchParams(resource("MedicationRequest"))).contains("status", "intent", "patient");
		assertThat(searchParams(resource("Condition"))).contains("clinical-status", "code", "onset-date");
		assertThat(searchParams(resource("Patient"))).contains("birthdate", "gender", "_lastUpdated");
		for (JsonNode param : resource("MedicationRequest").path("searchParam")) {
			if (param.get("name").asText().equals("status")) {
				assertThat(param.path("extension").toString()).doesNotContain(NOT_SUPPORTED);
			}
		}
	}

	@Test
	void operationNotSupported_marksFullTextParameters_andTypesOutsideThePatientCompartment() {
		for (JsonNode resource : rest.path("resource")) {
			for (JsonNode param : resource.path("searchParam")) {
				String name = param.get("name").asText();
				List<String> marks = notSupported(param);
				if (name.equals("_text") || name.equals("_content")) {
					assertThat(marks).as(name).containsExactlyInAnyOrder(DEFINITIONS + "export",
							DEFINITIONS + "patient-export", DEFINITIONS + "group-export");
				} else {
					assertThat(marks).as(resource.get("type").asText() + "." + name).isEmpty();
				}
			}
		}
		assertThat(notSupported(resource("Organization")))
				.containsExactlyInAnyOrder(DEFINITIONS + "patient-export", DEFINITIONS + "group-export");
		assertThat(notSupported(resource("Practitioner")))
				.containsExactlyInAnyOrder(DEFINITIONS + "patient-export", DEFINITIONS + "group-export");
		assertThat(notSupported(resource("Encounter"))).isEmpty();
		assertThat(notSupported(resource("Patient"))).isEmpty();
	}

	@Test
	void metadata_answersTheSameTheSecondTime() {
		var again = FhirHttp.json(server.http().get("metadata", "Accept", "application/fhir+json")).at("/rest/0");
		assertThat(again.toString()).isEqualTo(rest.toString());
	}

	private JsonNode resource(String type) {
		for (JsonNode resource : rest.path("resource")) {
			if (resource.get("type").asText().equals(type)) {
				return resource;
			}
		}
		throw new AssertionError("No rest.resource for " + type);
	}

	/** Each operation as "name definition". */
	private static List<String> operations(JsonNode node) {
		List<String> operations = new ArrayList<>();
		node.path("operation").forEach(operation -> operations.add(operation.path("name").asText() + " "
				+ operation.path("definition").asText()));
		return operations;
	}

	private static List<String> searchParams(JsonNode resource) {
		List<String> names = new ArrayList<>();
		resource.path("searchParam").forEach(param -> names.add(param.path("name").asText()));
		return names;
	}

	private static List<String> notSupported(JsonNode element) {
		List<String> canonicals = new ArrayList<>();
		element.path("extension").forEach(extension -> {
			if (extension.path("url").asText().equals(NOT_SUPPORTED)) {
				canonicals.add(extension.path("valueCanonical").asText());
			}
		});
		return canonicals;
	}
}
