package hapibulk.auth;

/** How requests are authorized ({@code hapi.bulk.auth.mode}). */
public enum AuthMode {
	/** The server is its own SMART Backend Services authorization server (token endpoint + discovery). */
	SMART,
	/** Access tokens come from another authorization server: JWTs checked against its issuer and JWKS. */
	EXTERNAL,
	/** No authorization at all: anyone who reaches the server may read, write and export everything. */
	NONE
}
