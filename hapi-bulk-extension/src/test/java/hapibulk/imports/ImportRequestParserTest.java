package hapibulk.imports;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportRequestParserTest {

	private static final FhirContext FHIR = FhirContext.forR4Cached();
	private final ImportRequestParser parser = new ImportRequestParser(FHIR);

	private ImportRequest parse(String body) {
		return parser.parse(body.getBytes(StandardCharsets.UTF_8), "application/fhir+json", "http://x/fhir/$import");
	}

	@Test
	void hapiParameters() {
		ImportRequest request = parse("""
				{"resourceType":"Parameters","parameter":[
				 {"name":"inputFormat","valueCode":"application/fhir+ndjson"},
				 {"name":"inputSource","valueUri":"http://source"},
				 {"name":"storageDetail","part":[{"name":"type","valueCode":"https"},
				   {"name":"maxBatchResourceCount","valueString":"500"}]},
				 {"name":"input","part":[{"name":"type","valueCode":"Patient"},{"name":"url","valueUri":"https://a/p.ndjson"}]},
				 {"name":"input","part":[{"name":"type","valueCode":"Observation"},{"name":"url","valueUri":"https://a/o.ndjson"}]}]}""");

		assertThat(request.inputSource()).isEqualTo("http://source");
		assertThat(request.storageType()).isEqualTo("https");
		assertThat(request.inputs()).containsExactly(new ImportRequest.Input("Patient", "https://a/p.ndjson"),
				new ImportRequest.Input("Observation", "https://a/o.ndjson"));
		assertThat(ImportRequest.fromJson(request.toJson())).isEqualTo(request);
	}

	@Test
	void ibmAndMicrosoftParameters() {
		ImportRequest ibm = parse("""
				{"resourceType":"Parameters","parameter":[
				 {"name":"inputFormat","valueString":"application/fhir+ndjson"},
				 {"name":"inputSource","valueUri":"https://my-server/source-fhir-server"},
				 {"name":"input","part":[{"name":"type","valueString":"Patient"},{"name":"url","valueUrl":"https://a/p.ndjson"}]},
				 {"name":"storageDetail","valueString":"https"}]}""");
		ImportRequest microsoft = parse("""
				{"resourceType":"Parameters","parameter":[
				 {"name":"inputFormat","valueString":"application/fhir+ndjson"},
				 {"name":"mode","valueString":"InitialLoad"},
				 {"name":"input","part":[{"name":"type","valueString":"Patient"},{"name":"url","valueUri":"https://a/p.ndjson"},
				   {"name":"etag","valueUri":"0x8D92A7342657F4F"}]},
				 {"name":"storageDetail","part":[{"name":"type","valueString":"https"}]}]}""");

		assertThat(ibm.storageType()).isEqualTo("https");
		assertThat(ibm.inputs()).containsExactly(new ImportRequest.Input("Patient", "https://a/p.ndjson"));
		assertThat(microsoft.mode()).isEqualTo("InitialLoad");
		assertThat(microsoft.inputs()).containsExactly(new ImportRequest.Input("Patient", "https://a/p.ndjson"));
	}

	@Test
	void smartManifestJson() {
		ImportRequest request = parse("""
				{"inputFormat":"application/fhir+ndjson","inputSource":"https://other-server.example.org",
				 "storageDetail":{"type":"https"},
				 "input":[{"type":"Patient","url":"https://client.example.org/patient_file_1.ndjson"}]}""");

		assertThat(request.inputSource()).isEqualTo("https://other-server.example.org");
		assertThat(request.inputs()).containsExactly(
				new ImportRequest.Input("Patient", "https://client.example.org/patient_file_1.ndjson"));
	}

	@Test
	void malformedBodies_areRefused() {
		for (var refused : List.of(
				List.of("", "BULK-0211"),
				List.of("[1]", "BULK-0211"),
				List.of("{\"resourceType\":\"Parameters\"", "BULK-0211"),
				List.of("{\"input\":[]}", "BULK-0213"),
				List.of("{\"input\":[{\"type\":\"Patient\"}]}", "BULK-0214"),
				List.of("{\"input\":[{\"type\":\"Nope\",\"url\":\"https://a\"}]}", "BULK-0215"),
				List.of("{\"inputFormat\":\"text/csv\",\"input\":[{\"type\":\"Patient\",\"url\":\"https://a\"}]}", "BULK-0212"),
				List.of("{\"storageDetail\":{\"type\":\"aws-s3\"},\"input\":[{\"type\":\"Patient\",\"url\":\"s3://a\"}]}",
						"BULK-0221"))) {
			assertThatThrownBy(() -> parse(refused.get(0))).as(refused.get(0))
					.isInstanceOf(InvalidRequestException.class).hasMessageContaining(refused.get(1));
		}
	}

	@Test
	void parametersWithoutNameOrWithNullName_areRefusedWith400_notANullPointerException() {
		// given: a parameter without name, and one whose name is null, beside a valid input
		String input = "{\"name\":\"input\",\"part\":[{\"name\":\"type\",\"valueCode\":\"Patient\"},"
				+ "{\"name\":\"url\",\"valueUri\":\"https://a/p.ndjson\"}]}";
		for (String nameless : List.of("{\"valueString\":\"x\"}", "{\"name\":null,\"valueString\":\"x\"}")) {
			String body = "{\"resourceType\":\"Parameters\",\"parameter\":[" + nameless + "," + input + "]}";

			// when / then
			assertThatThrownBy(() -> parse(body)).as(body)
					.isInstanceOf(InvalidRequestException.class).hasMessageContaining("BULK-0206");
		}
	}
}
