package hapibulk.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import org.hl7.fhir.r4.model.Parameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Errors of the bulk operations as HAPI's real {@link RestfulServer} renders them with the interceptor registered:
 * the answer a client sees, and what the operator's log holds.
 */
class BulkExceptionAnswersTest {

	/** Stands in for a bulk operation: fails with whatever the test puts here. */
	public static class FailingOperations {
		RuntimeException failure;

		@Operation(name = "$export", idempotent = true)
		public Parameters export() {
			throw failure;
		}

		@Operation(name = "$other", idempotent = true)
		public Parameters other() {
			throw failure;
		}
	}

	final FailingOperations operations = new FailingOperations();
	final ListAppender<ILoggingEvent> log = new ListAppender<>();
	final Logger rootLogger = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
	RestfulServerClient client;

	@BeforeEach
	void startServer() {
		RestfulServer server = new RestfulServer(FhirContext.forR4Cached());
		server.registerProvider(operations);
		server.registerInterceptor(new BulkExceptionAnswers(List.of("$export")));
		client = new RestfulServerClient(server);
		log.start();
		rootLogger.addAppender(log);
	}

	@AfterEach
	void release() {
		rootLogger.detachAppender(log);
	}

	@Test
	void unexpectedException_becomes500WithCodeAndCorrelationId_withoutItsMessage() {
		// given an exception no provider expected, whose message holds internals
		operations.failure = new IllegalStateException("could not execute INSERT INTO BULK_JOB at /var/lib/hapi on db.internal");

		// when
		Answer answer = client.get("$export", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(500);
		assertThat(answer.body()).contains("BULK-0127").contains("correlation id").doesNotContain("INSERT")
				.doesNotContain("/var/lib").doesNotContain("db.internal").doesNotContain("IllegalStateException");
		String correlationId = answer.body().replaceAll("(?s).*correlation id ([0-9a-f-]{36}).*", "$1");
		assertThat(errorsLogged()).as("one ERROR, ours, naming the correlation id").singleElement()
				.satisfies(event -> assertThat(event.getFormattedMessage()).contains(correlationId));
	}

	@Test
	void clientError_keepsItsMessage_inTheContentTypeAskedFor_andIsNotLoggedAsAnError() {
		// given
		operations.failure = new InvalidRequestException("BULK-0208: page");

		// when
		Answer answer = client.get("$export", "Accept", "application/json");

		// then
		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.contentType()).isEqualTo("application/json");
		assertThat(answer.body()).contains("BULK-0208: page");
		assertThat(errorsLogged()).isEmpty();
	}

	@Test
	void clientError_isJson_whateverElseTheClientAccepts() {
		// given a kick-off whose Accept names XML (refused; its answer is still JSON, as every bulk error)
		operations.failure = new InvalidRequestException("BULK-0103: Accept");

		// when
		Answer answer = client.get("$export", "Accept", "application/fhir+xml");

		// then
		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.contentType()).isEqualTo("application/fhir+json");
		assertThat(answer.body()).startsWith("{").contains("BULK-0103");
	}

	@Test
	void serviceUnavailable_staysA503_withItsCodeAndRetryAfter_notA500() {
		// given: a kick-off refused for lack of disk space (the same holds for a job store that does not answer)
		operations.failure = new ServiceUnavailableException("BULK-0413: The server is short of room for bulk files",
				java.time.Duration.ofSeconds(60));

		// when
		Answer answer = client.get("$export", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(503);
		assertThat(answer.header("Retry-After")).isEqualTo("60");
		assertThat(answer.body()).contains("BULK-0413").contains("transient").doesNotContain("BULK-0127");
		assertThat(errorsLogged()).isEmpty();
	}

	@Test
	void headersOfTheFailure_goWithTheAnswer() {
		// given
		AuthenticationException unauthenticated = new AuthenticationException("BULK-0310: no token");
		unauthenticated.addResponseHeader("WWW-Authenticate", "Bearer");
		operations.failure = unauthenticated;

		// when
		Answer answer = client.get("$export", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(401);
		assertThat(answer.header("WWW-Authenticate")).isEqualTo("Bearer");
		assertThat(errorsLogged()).isEmpty();
	}

	@Test
	void clientError_quotingAJavaException_losesTheClassName() {
		// given HAPI's own parse error of a body (found by the fuzz test)
		operations.failure = new InvalidRequestException("HAPI-1821: Invalid attribute value \"99999999999\": "
				+ "java.lang.NumberFormatException: For input string: \"99999999999\"");

		// when
		Answer answer = client.get("$export", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.body()).contains("For input string").doesNotContain("java.").doesNotContain("Exception");
	}

	@Test
	void undecodableQueryString_is400() {
		// when HAPI fails to decode %ZZ itself, before it knows the operation
		Answer answer = client.get("$export?_since=%ZZ", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(400);
		assertThat(answer.body()).contains("BULK-0139");
	}

	@Test
	void otherOperations_areLeftToHapi() {
		// given
		operations.failure = new InternalErrorException("HAPI's own words");

		// when
		Answer answer = client.get("$other", "Accept", "application/fhir+json");

		// then
		assertThat(answer.status()).isEqualTo(500);
		assertThat(answer.body()).contains("HAPI's own words").doesNotContain("BULK-0127");
	}

	private List<ILoggingEvent> errorsLogged() {
		return log.list.stream().filter(event -> event.getLevel() == Level.ERROR).toList();
	}
}
