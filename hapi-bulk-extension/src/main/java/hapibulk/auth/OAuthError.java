package hapibulk.auth;

/**
 * A refused token request, answered as RFC 6749 §5.2 JSON ({@code error}, {@code error_description}).
 * Authentication failures are {@code invalid_client} with 401, the rest 400.
 */
public class OAuthError extends Exception {

	private final String error;
	private final int status;

	public OAuthError(String error, String description) {
		super(description);
		this.error = error;
		this.status = "invalid_client".equals(error) ? 401 : 400;
	}

	public static OAuthError invalidClient(String description) {
		return new OAuthError("invalid_client", description);
	}

	public static OAuthError invalidRequest(String description) {
		return new OAuthError("invalid_request", description);
	}

	public String error() {
		return error;
	}

	public int status() {
		return status;
	}
}
