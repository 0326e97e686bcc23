package hapibulk.submit;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * hapi.bulk.submit.*: who may $bulk-submit data to this server, and the limits of reading a
 * provider's manifest. Only registered submitters are heard: a submission makes this server fetch from the
 * provider's base URLs (and, with a key, authenticate there), so the operator decides which providers those are.
 *
 * @param submitters       the registered data providers
 * @param maxManifestSize  bytes read of one manifest page
 * @param maxManifestPages manifest pages followed through link next
 * @param timeout          for reading a manifest, a discovery document or a token answer
 */
public record SubmitSettings(
		@DefaultValue List<Submitter> submitters,
		@DefaultValue("16MB") DataSize maxManifestSize,
		@DefaultValue("100") int maxManifestPages,
		@DefaultValue("30s") Duration timeout) {

	public SubmitSettings {
		submitters = submitters == null ? List.of() : List.copyOf(submitters);
	}

	/**
	 * One data provider.
	 *
	 * @param system         its submitter Identifier's system
	 * @param value          its submitter Identifier's value
	 * @param fhirBaseUrls   the provider's FHIR base URLs: manifests, files and token discovery must lie under one
	 * @param clientId       this server's client id at the provider (SMART Backend Services); unset: no token
	 * @param privateKeyFile this server's private key for that client, a JWK (JSON, with its kid); RS384 for RSA
	 *                       keys, ES384 for EC keys
	 * @param scope          the scopes asked for at the provider
	 * @param tokenUrl       the provider's token endpoint; unset: read from
	 *                       [fhirBaseUrl]/.well-known/smart-configuration
	 */
	public record Submitter(String system, String value, @DefaultValue List<String> fhirBaseUrls, String clientId,
			Path privateKeyFile, @DefaultValue("system/*.rs") String scope, String tokenUrl) {

		public Submitter {
			fhirBaseUrls = fhirBaseUrls == null ? List.of() : List.copyOf(fhirBaseUrls);
		}

		/** The key a submission and its imports are filed under: {@code system|value}. */
		public String key() {
			return (system == null ? "" : system) + "|" + value;
		}

		public boolean authenticates() {
			return clientId != null && !clientId.isBlank();
		}
	}
}
