package hapibulk.imports.job;

import hapibulk.imports.ImportPermissions;
import hapibulk.imports.ImportRequest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The import's stored forms, which outlive a version: the request in the job table ({@code BULK_JOB.REQUEST_JSON},
 * read back by the plan step) and the partitions as JSON strings in Spring Batch's execution contexts (the job's
 * plan and each partition's cursor, read back by a restart or by another node). The expected texts were written by
 * the hand-built JSON trees of the version before the shared mapper (run on these same values), so a job persisted
 * by it reads the same, and this version writes the same text.
 */
class ImportStoredFormsTest {

	private static final String REQUEST_WITHOUT_PERMISSIONS = "{\"inputSource\":null,\"storageType\":null,\"mode\":null,"
			+ "\"requestUrl\":\"http://localhost/fhir/$import\",\"inputs\":[{\"type\":\"Patient\","
			+ "\"url\":\"https://ehr.example.org/p.ndjson\"}]}";
	private static final String REQUEST_WITH_PERMISSIONS = "{\"inputSource\":\"https://ehr.example.org\","
			+ "\"storageType\":\"https\",\"mode\":\"InitialLoad\",\"requestUrl\":\"http://localhost/fhir/$import\","
			+ "\"inputs\":[{\"type\":\"Patient\",\"url\":\"https://ehr.example.org/p.ndjson\"},{\"type\":\"Observation\","
			+ "\"url\":\"https://ehr.example.org/o.ndjson\"}],\"creatable\":[\"Patient\"],\"updatable\":[\"Observation\"],"
			+ "\"readable\":[\"Practitioner\"]}";
	private static final String WHOLE_INPUT = "{\"index\":1,\"type\":\"Patient\",\"url\":\"https://ehr.example.org/p.ndjson\","
			+ "\"wave\":2,\"inputSource\":null,\"mayCreate\":true,\"mayUpdate\":true,\"part\":0,\"rangeStart\":0,"
			+ "\"rangeEnd\":9223372036854775807}";
	private static final String PART_OF_INPUT = "{\"index\":2,\"type\":\"Observation\","
			+ "\"url\":\"https://ehr.example.org/o.ndjson\",\"wave\":5,\"inputSource\":\"https://ehr.example.org\","
			+ "\"mayCreate\":false,\"mayUpdate\":true,\"part\":3,\"rangeStart\":1048576,\"rangeEnd\":2097152,"
			+ "\"readable\":[\"Practitioner\"]}";

	private static final ImportRequest ALL_RIGHTS = new ImportRequest(null, null, null,
			List.of(new ImportRequest.Input("Patient", "https://ehr.example.org/p.ndjson")), "http://localhost/fhir/$import");
	private static final ImportRequest LIMITED = new ImportRequest("https://ehr.example.org", "https", "InitialLoad",
			List.of(new ImportRequest.Input("Patient", "https://ehr.example.org/p.ndjson"),
					new ImportRequest.Input("Observation", "https://ehr.example.org/o.ndjson")),
			"http://localhost/fhir/$import", new ImportPermissions(Set.of("Patient"), Set.of("Observation"),
					Set.of("Practitioner")));
	private static final ImportPartition WHOLE = new ImportPartition(1, "Patient", "https://ehr.example.org/p.ndjson", 2,
			null, WriteRights.ALL);
	private static final ImportPartition PART = new ImportPartition(2, "Observation", "https://ehr.example.org/o.ndjson",
			5, "https://ehr.example.org", new WriteRights(false, true, Set.of("Practitioner")), 3, 1048576, 2097152);

	@Test
	void request_isWrittenAsTheVersionBeforeWroteIt_andItsRowsReadBack() {
		assertThat(ALL_RIGHTS.toJson()).isEqualTo(REQUEST_WITHOUT_PERMISSIONS);
		assertThat(LIMITED.toJson()).isEqualTo(REQUEST_WITH_PERMISSIONS);
		assertThat(ImportRequest.fromJson(REQUEST_WITHOUT_PERMISSIONS)).isEqualTo(ALL_RIGHTS);
		assertThat(ImportRequest.fromJson(REQUEST_WITH_PERMISSIONS)).isEqualTo(LIMITED);
	}

	@Test
	void request_ofAnEarlierVersion_withoutPermissionsOrInputs_andWithKeysUnknownHere_reads() {
		// when
		ImportRequest read = ImportRequest.fromJson("{\"requestUrl\":\"http://localhost/fhir/$import\",\"later\":{\"x\":1}}");

		// then
		assertThat(read.inputs()).isEmpty();
		assertThat(read.permissions()).isEqualTo(ImportPermissions.ALL);
		assertThat(read.requestUrl()).isEqualTo("http://localhost/fhir/$import");
	}

	@Test
	void partitions_areWrittenAsTheVersionBeforeWroteThem_andReadBack() {
		assertThat(ImportPartition.listToJson(List.of(WHOLE, PART))).isEqualTo("[" + WHOLE_INPUT + "," + PART_OF_INPUT + "]");
		assertThat(PART.toJson()).isEqualTo(PART_OF_INPUT);
		assertThat(ImportPartition.listFromJson("[" + WHOLE_INPUT + "," + PART_OF_INPUT + "]")).containsExactly(WHOLE, PART);
		assertThat(ImportPartition.fromJson(PART_OF_INPUT)).isEqualTo(PART);
	}

	@Test
	void partition_ofAPlanMadeBeforeRightsAndParts_isTheWholeInput_everyLineStored() {
		// given: a plan of the version before inputs were split and tokens limited the lines
		String earlier = "[{\"index\":1,\"type\":\"Patient\",\"url\":\"https://ehr.example.org/p.ndjson\",\"wave\":2,"
				+ "\"inputSource\":null,\"later\":true}]";

		// when
		List<ImportPartition> plan = ImportPartition.listFromJson(earlier);

		// then
		assertThat(plan).containsExactly(WHOLE);
		assertThat(plan.get(0).rights().restricted()).isFalse();
	}
}
