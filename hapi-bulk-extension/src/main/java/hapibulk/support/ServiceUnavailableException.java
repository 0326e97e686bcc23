package hapibulk.support;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;

import java.time.Duration;

/** HTTP 503 with {@code Retry-After}: the server cannot answer now but expects to soon. */
public class ServiceUnavailableException extends BaseServerResponseException {

	public ServiceUnavailableException(String message, Duration retryAfter) {
		super(503, message);
		addResponseHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
	}
}
