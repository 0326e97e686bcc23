package hapibulk.submit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubmitRequestParserTest {

	private static final SubmitRequestParser PARSER = new SubmitRequestParser(FhirContext.forR4Cached());
	private static final String SUBMITTER = "{\"name\":\"submitter\",\"valueIdentifier\":{\"system\":\"https://a.example/ids\","
			+ "\"value\":\"a\"}},{\"name\":\"submissionId\",\"valueString\":\"s-1\"}";

	@Test
	void theBallotsParameters_areRead_whateverPrimitiveTypeTheUrlsComeAs() {
		// when
		SubmitRequest request = submit(SUBMITTER + ",{\"name\":\"manifestUrl\",\"valueUrl\":\"https://a.example/fhir/m\"},"
				+ "{\"name\":\"fhirBaseUrl\",\"valueUri\":\"https://a.example/fhir\"},"
				+ "{\"name\":\"submissionStatus\",\"valueCoding\":{\"code\":\"completed\"}},"
				+ "{\"name\":\"outputFormat\",\"valueString\":\"application/ndjson\"},"
				+ "{\"name\":\"metadata\",\"part\":[{\"name\":\"parameterUrl\",\"valueUri\":\"https://x\"}]}");
		// then
		assertThat(request).isEqualTo(new SubmitRequest("https://a.example/ids", "a", "s-1", "completed",
				"https://a.example/fhir/m", "https://a.example/fhir", null, null));
		assertThat(request.submitterKey()).isEqualTo("https://a.example/ids|a");
	}

	@Test
	void anXmlBody_isReadAsItsJsonForm() {
		// given
		String xml = "<Parameters xmlns=\"http://hl7.org/fhir\"><parameter><name value=\"submitter\"/><valueIdentifier>"
				+ "<value value=\"a\"/></valueIdentifier></parameter><parameter><name value=\"submissionId\"/>"
				+ "<valueString value=\"s-2\"/></parameter><parameter><name value=\"submissionStatus\"/>"
				+ "<valueCode value=\"in-progress\"/></parameter></Parameters>";
		// when
		SubmitRequest request = PARSER.parseSubmit(xml.getBytes(StandardCharsets.UTF_8), "application/fhir+xml");
		// then
		assertThat(request.submitterKey()).isEqualTo("|a");
		assertThat(request.submissionId()).isEqualTo("s-2");
		assertThat(request.status()).isEqualTo("in-progress");
	}

	@Test
	void whatCannotBeHonoured_isRefused_withItsCode() {
		assertRefused("{\"resourceType\":\"Patient\"}", "BULK-0930");
		assertRefused(parameters(SUBMITTER + "," + "{\"name\":\"submissionId\",\"valueString\":\"again\"}"), "BULK-0930");
		assertRefused(parameters("{\"name\":\"submissionId\",\"valueString\":\"s\"}"), "BULK-0931");
		assertRefused(parameters(SUBMITTER), "BULK-0932");
		assertRefused(parameters(SUBMITTER + ",{\"name\":\"submissionStatus\",\"valueCoding\":{\"code\":\"done\"}}"),
				"BULK-0933");
		assertRefused(parameters(SUBMITTER + ",{\"name\":\"manifestUrl\",\"valueString\":\"https://a.example/m\"}"),
				"BULK-0934");
		assertRefused(parameters(SUBMITTER + ",{\"name\":\"submissionStatus\",\"valueCode\":\"completed\"},"
				+ "{\"name\":\"fileRequestHeader\",\"part\":[{\"name\":\"headerName\",\"valueString\":\"X-Key\"}]}"),
				"BULK-0943");
		assertRefused(parameters(SUBMITTER + ",{\"name\":\"submissionStatus\",\"valueCode\":\"completed\"},"
				+ "{\"name\":\"outputFormat\",\"valueString\":\"text/csv\"}"), "BULK-0943");
	}

	private static void assertRefused(String body, String code) {
		assertThatThrownBy(() -> PARSER.parseSubmit(body.getBytes(StandardCharsets.UTF_8), "application/fhir+json"))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining(code);
	}

	private static SubmitRequest submit(String parameters) {
		return PARSER.parseSubmit(parameters(parameters).getBytes(StandardCharsets.UTF_8), "application/fhir+json");
	}

	private static String parameters(String parameters) {
		return "{\"resourceType\":\"Parameters\",\"parameter\":[" + parameters + "]}";
	}
}
