package hapibulk.auth;

/**
 * A refused token request, answered as RFC 6749 §5.2 JSON ({@code error}, {@code error_description}).
 * Authentication failures are {@code invalid_client} with 401, the rest 400.
 */
public class OAuthError extends Exception {

	private final String error;
	private final int status;
	/** For 429 and 503: seconds until the client may ask again; else 0. */
	private final long retryAfterSeconds;

	public OAuthError(String error, String description) {
		super(description);
		this.error = error;
		this.status = "invalid_client".equals(error) ? 401 : 400;
		this.retryAfterSeconds = 0;
	}

	private OAuthError(String error, int status, String description, long retryAfterSeconds) {
		super(description);
		this.error = error;
		this.status = status;
		this.retryAfterSeconds = retryAfterSeconds;
	}

	/** Too many token requests: 429 with {@code Retry-After}. */
	public static OAuthError tooManyRequests(String description, java.time.Duration retryAfter) {
		// RFC 6749 has no error code for this; 429 and Retry-After are what clients act on.
		return new OAuthError("invalid_request", 429, description, seconds(retryAfter));
	}

	/**
	 * The server cannot check the client now (overloaded): 503 with {@code Retry-After} and RFC 6749's
	 * {@code temporarily_unavailable}, so that a client with good credentials is not told they are wrong.
	 */
	public static OAuthError temporarilyUnavailable(String description, java.time.Duration retryAfter) {
		return new OAuthError("temporarily_unavailable", 503, description, seconds(retryAfter));
	}

	private static long seconds(java.time.Duration duration) {
		return Math.max(1, (duration.toMillis() + 999) / 1000);
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
