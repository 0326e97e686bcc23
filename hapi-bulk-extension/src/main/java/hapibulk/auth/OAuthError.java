package hapibulk.auth;

/**
 * A refused token request, answered as RFC 6749 §5.2 JSON ({@code error}, {@code error_description}).
 * Authentication failures are {@code invalid_client} with 401, the rest 400.
 */
public class OAuthError extends Exception {

	private final String error;
	private final int status;
	/** For 429: seconds until the client may ask again; else 0. */
	private final long retryAfterSeconds;

	public OAuthError(String error, String description) {
		super(description);
		this.error = error;
		this.status = "invalid_client".equals(error) ? 401 : 400;
		this.retryAfterSeconds = 0;
	}

	private OAuthError(String description, long retryAfterSeconds) {
		super(description);
		// RFC 6749 has no error code for this; 429 and Retry-After are what clients act on.
		this.error = "invalid_request";
		this.status = 429;
		this.retryAfterSeconds = retryAfterSeconds;
	}

	/** Too many token requests: 429 with {@code Retry-After}. */
	public static OAuthError tooManyRequests(String description, java.time.Duration retryAfter) {
		return new OAuthError(description, Math.max(1, (retryAfter.toMillis() + 999) / 1000));
	}

	public long retryAfterSeconds() {
		return retryAfterSeconds;
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
