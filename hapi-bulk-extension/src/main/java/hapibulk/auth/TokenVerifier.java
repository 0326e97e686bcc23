package hapibulk.auth;

import java.util.Optional;

/** Turns a bearer token into the grant it carries, or nothing if it is not valid (now). */
@FunctionalInterface
public interface TokenVerifier {

	Optional<AccessGrant> verify(String token);
}
