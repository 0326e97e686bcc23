package hapibulk.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BulkExceptionAnswersTest {

	private final BulkExceptionAnswers answers = new BulkExceptionAnswers(List.of("$export", "$bulk-status"));

	@Test
	void unexpectedException_becomes500WithCodeAndCorrelationId_withoutItsMessage() throws Exception {
		// given an exception no provider expected, whose message holds internals
		MockHttpServletRequest servletRequest = new MockHttpServletRequest("GET", "/fhir/$export");
		MockHttpServletResponse response = new MockHttpServletResponse();
		ServletRequestDetails request = request(servletRequest, "$export");
		InternalErrorException exception = new InternalErrorException(
				new IllegalStateException("could not execute INSERT INTO BULK_JOB at /var/lib/hapi on db.internal"));

		// when
		boolean continueWithHapi = answers.handle(request, exception, servletRequest, response);

		// then
		assertThat(continueWithHapi).isFalse();
		assertThat(response.getStatus()).isEqualTo(500);
		assertThat(response.getContentAsString()).contains("BULK-0127").contains("correlation id")
				.doesNotContain("INSERT").doesNotContain("/var/lib").doesNotContain("db.internal")
				.doesNotContain("IllegalStateException");
	}

	@Test
	void clientError_keepsItsMessage_inTheContentTypeAskedFor() throws Exception {
		// given
		MockHttpServletRequest servletRequest = new MockHttpServletRequest("GET", "/fhir/$bulk-status");
		servletRequest.addHeader("Accept", "application/json");
		MockHttpServletResponse response = new MockHttpServletResponse();

		// when
		answers.handle(request(servletRequest, "$bulk-status"), new InvalidRequestException("BULK-0208: page"),
				servletRequest, response);

		// then
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(response.getContentType()).startsWith("application/json");
		assertThat(response.getContentAsString()).contains("BULK-0208: page");
	}

	@Test
	void clientError_quotingAJavaException_losesTheClassName() throws Exception {
		// given HAPI's own parse error of a body (found by the fuzz test)
		MockHttpServletRequest servletRequest = new MockHttpServletRequest("POST", "/fhir/$export");
		MockHttpServletResponse response = new MockHttpServletResponse();

		// when
		answers.handle(request(servletRequest, "$export"), new InvalidRequestException("HAPI-1821: Invalid attribute"
				+ " value \"99999999999\": java.lang.NumberFormatException: For input string: \"99999999999\""),
				servletRequest, response);

		// then
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(response.getContentAsString()).contains("For input string").doesNotContain("java.")
				.doesNotContain("Exception");
	}

	@Test
	void undecodableQueryString_is400() throws Exception {
		// given HAPI's failure to decode %ZZ, before it knew the operation
		MockHttpServletRequest servletRequest = new MockHttpServletRequest("GET", "/fhir/$export");
		servletRequest.setQueryString("_since=%ZZ");
		MockHttpServletResponse response = new MockHttpServletResponse();

		// when
		answers.handle(request(servletRequest, null), new InternalErrorException(new IllegalArgumentException("x")),
				servletRequest, response);

		// then
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(response.getContentAsString()).contains("BULK-0139");
	}

	@Test
	void otherOperations_areLeftToHapi() throws Exception {
		MockHttpServletRequest servletRequest = new MockHttpServletRequest("GET", "/fhir/Patient/1");
		assertThat(answers.handle(request(servletRequest, null), new InternalErrorException("x"), servletRequest,
				new MockHttpServletResponse())).isTrue();
	}

	private static ServletRequestDetails request(MockHttpServletRequest servletRequest, String operation) {
		ServletRequestDetails request = new ServletRequestDetails();
		request.setServer(new RestfulServer(FhirContext.forR4Cached()));
		request.setServletRequest(servletRequest);
		request.setOperation(operation);
		return request;
	}
}
