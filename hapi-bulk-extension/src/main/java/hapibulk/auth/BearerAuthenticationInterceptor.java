package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import hapibulk.support.BulkErrors;

import java.util.Optional;

/**
 * Every FHIR request but {@code metadata} needs a valid bearer token; its grant is kept on the
 * request for the authorization rules and the bulk features. Runs after HAPI has parsed the
 * request, before any rule or provider.
 */
@Interceptor
public class BearerAuthenticationInterceptor {

	private final TokenVerifier verifier;

	public BearerAuthenticationInterceptor(TokenVerifier verifier) {
		this.verifier = verifier;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
	public boolean authenticate(RequestDetails request) {
		if (request.getRestOperationType() == RestOperationTypeEnum.METADATA) {
			return true;
		}
		String header = request.getHeader("Authorization");
		if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
			throw unauthorized(320, "This server needs an access token: 'Authorization: Bearer <token>'"
					+ " (SMART Backend Services, see .well-known/smart-configuration)", null);
		}
		Optional<AccessGrant> grant = verifier.verify(header.substring(7).trim());
		if (grant.isEmpty()) {
			throw unauthorized(321, "The access token is invalid or has expired", "invalid_token");
		}
		request.getUserData().put(BulkAuthorization.GRANT_KEY, grant.get());
		return true;
	}

	private static AuthenticationException unauthorized(int code, String message, String error) {
		AuthenticationException exception = new AuthenticationException(BulkErrors.code(code) + message);
		exception.addResponseHeader("WWW-Authenticate", error == null ? "Bearer" : "Bearer error=\"" + error + "\"");
		return exception;
	}
}
