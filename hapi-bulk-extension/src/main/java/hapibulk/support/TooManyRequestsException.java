package hapibulk.support;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;

import java.time.Duration;

/** HTTP 429 with {@code Retry-After}, rendered by HAPI as an OperationOutcome. */
public class TooManyRequestsException extends BaseServerResponseException {

	public TooManyRequestsException(String message, Duration retryAfter) {
		super(429, message);
		addResponseHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
	}
}
