package hapibulk.auth;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The SMART discovery document ({@code .well-known/smart-configuration}) of a server in mode smart. */
final class SmartConfiguration {

	private SmartConfiguration() {}

	static Map<String, Object> of(String serverBase) {
		Map<String, Object> document = new LinkedHashMap<>();
		document.put("token_endpoint", serverBase + "/" + TokenEndpoint.PATH);
		document.put("token_endpoint_auth_methods_supported", List.of("private_key_jwt"));
		document.put("token_endpoint_auth_signing_alg_values_supported", List.of("RS384", "ES384", "RS256", "RS512",
				"ES256", "ES512", "PS256", "PS384", "PS512"));
		document.put("grant_types_supported", List.of("client_credentials"));
		document.put("scopes_supported", List.of("system/*.read", "system/*.write", "system/*.*", "system/*.rs",
				"system/*.cud", "system/*.cruds", ScopeSet.ADMIN_SCOPE, ScopeSet.AUDIT_SCOPE,
				ScopeSet.SUBMIT_SCOPE));
		document.put("response_types_supported", List.of("token"));
		document.put("capabilities", List.of("client-confidential-asymmetric", "permission-v1", "permission-v2"));
		document.put("code_challenge_methods_supported", List.of("S256"));
		return document;
	}
}
