package hapibulk.auth;

import com.nimbusds.jose.jwk.JWKSet;
import hapibulk.support.BulkErrors;

import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** The clients of {@code hapi.bulk.auth.clients}, checked once at start-up. */
public class RegisteredClients {

	/**
	 * A client with its parsed keys and scopes. {@code jwks} is null when its keys are at {@code jwksUrl}.
	 * {@code jkuAllowList}: the JWKS URLs its assertions' {@code jku} may name besides its {@code jwksUrl}.
	 */
	public record Registered(String clientId, JWKSet jwks, String jwksUrl, ScopeSet scopes, String patient,
			List<String> jkuAllowList, String deidProfile) {

		public Registered {
			jkuAllowList = jkuAllowList == null ? List.of() : List.copyOf(jkuAllowList);
		}

		/** Whether a {@code jku} header names a key set of this client (never another client's). */
		public boolean ownsJku(String jku) {
			return jku.equals(jwksUrl) || jkuAllowList.contains(jku);
		}
	}

	private final Map<String, Registered> clients = new LinkedHashMap<>();

	/** Clients none of which may be bound to a de-identification profile. */
	public RegisteredClients(List<AuthSettings.Client> configured, Set<String> knownTypes) {
		this(configured, knownTypes, profile -> false);
	}

	/** @param deidProfiles whether a name is a de-identification profile a client may be bound to */
	public RegisteredClients(List<AuthSettings.Client> configured, Set<String> knownTypes,
			Predicate<String> deidProfiles) {
		for (int i = 0; i < configured.size(); i++) {
			AuthSettings.Client client = configured.get(i);
			String prefix = "hapi.bulk.auth.clients[" + i + "].";
			if (client.clientId() == null || client.clientId().isBlank()) {
				throw new IllegalArgumentException(prefix + "client-id is required");
			}
			boolean inline = client.jwks() != null && !client.jwks().isBlank();
			boolean remote = client.jwksUrl() != null && !client.jwksUrl().isBlank();
			if (inline == remote) {
				throw new IllegalArgumentException(prefix + "needs exactly one of jwks and jwks-url");
			}
			JWKSet jwks = null;
			if (inline) {
				try {
					jwks = JWKSet.parse(client.jwks());
				} catch (ParseException e) {
					throw new IllegalArgumentException(prefix + "jwks is not a JWKS: " + e.getMessage(), e);
				}
			}
			ScopeSet scopes;
			try {
				scopes = ScopeSet.parse(client.scopes(), knownTypes);
			} catch (InvalidScopeException e) {
				throw new IllegalArgumentException(prefix + "scopes: " + e.getMessage(), e);
			}
			if (scopes.isEmpty()) {
				throw new IllegalArgumentException(prefix + "scopes is required (the most the client may be granted)");
			}
			if (client.deidProfile() != null && !deidProfiles.test(client.deidProfile())) {
				throw new IllegalArgumentException(BulkErrors.code(906) + prefix + "deid-profile '" + client.deidProfile()
						+ "' is not a usable de-identification profile (hapi.bulk.deid.profiles, with its keys set)");
			}
			if (clients.put(client.clientId(), new Registered(client.clientId(), jwks, remote ? client.jwksUrl() : null,
					scopes, client.patient() == null || client.patient().isBlank() ? null : client.patient(),
					client.jkuAllowList(), client.deidProfile())) != null) {
				throw new IllegalArgumentException(prefix + "client-id '" + client.clientId() + "' is registered twice");
			}
		}
	}

	public Optional<Registered> find(String clientId) {
		return Optional.ofNullable(clientId == null ? null : clients.get(clientId));
	}

	public int size() {
		return clients.size();
	}
}
