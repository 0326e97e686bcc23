package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import hapibulk.support.BulkErrors;

import java.util.List;
import java.util.Optional;

/**
 * Every FHIR request but {@code metadata} needs a valid bearer token; its grant is kept on the
 * request for the authorization rules and the bulk features. Runs after HAPI has parsed the
 * request, before any rule or provider; so a client bound to a de-identification profile is refused here,
 * before any rule could answer for it.
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
		refuseIfDeidBound(grant.get(), request, request.getRestOperationType());
		return true;
	}

	/**
	 * A client bound to a de-identification profile gets its data only through de-identified exports: the export
	 * kick-off, its status and its files (ExportDeidentification makes the exports de-identified); every other
	 * request, reads and searches above all, is refused rather than de-identified on the way out.
	 */
	private static void refuseIfDeidBound(AccessGrant grant, RequestDetails request, RestOperationTypeEnum operation) {
		if (!grant.deidBound() || operation == RestOperationTypeEnum.METADATA) {
			return;
		}
		String name = request.getOperation() == null ? "" : request.getOperation();
		String op = name.startsWith("$") ? name : "$" + name;
		boolean export = operation != null && switch (operation) {
			case EXTENDED_OPERATION_SERVER -> DEID_BOUND_OPERATIONS.contains(op);
			case EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_INSTANCE -> op.equals("$export");
			default -> false;
		};
		if (!export) {
			throw BulkAuthorization.forbidden(915, "This client is bound to the de-identification profile '"
					+ grant.deidProfile() + "': it gets data only through $export (de-identified), its status and its"
					+ " files; other requests are refused");
		}
	}

	/** Server operations a de-identification-bound client may call. */
	static final List<String> DEID_BOUND_OPERATIONS = List.of("$export", "$bulk-status", "$bulk-file");

	private static AuthenticationException unauthorized(int code, String message, String error) {
		AuthenticationException exception = new AuthenticationException(BulkErrors.code(code) + message);
		exception.addResponseHeader("WWW-Authenticate", error == null ? "Bearer" : "Bearer error=\"" + error + "\"");
		return exception;
	}
}
