package hapibulk.auth;

/** A scope this server does not know or will not grant: OAuth's {@code invalid_scope}. */
public class InvalidScopeException extends Exception {

	public InvalidScopeException(String message) {
		super(message);
	}
}
