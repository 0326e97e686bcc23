package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import hapibulk.support.ServerBaseUrl;
import hapibulk.support.fhir.FhirElements;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.instance.model.api.IBaseExtension;

/**
 * Declares SMART-on-FHIR security in the CapabilityStatement: {@code rest.security.service} and
 * the {@code oauth-uris} extension naming the token endpoint (mode smart), in any FHIR version the extension serves.
 */
@Interceptor
public class SmartCapabilityStatementInterceptor {

	public static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
	private static final String SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service";
	private static final String SMART = "SMART-on-FHIR";

	private final ServerBaseUrl baseUrl;

	public SmartCapabilityStatementInterceptor(ServerBaseUrl baseUrl) {
		this.baseUrl = baseUrl;
	}

	/** Idempotent: HAPI may hand the same (cached) statement to the hook again. */
	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareSmart(IBaseConformance capabilityStatement, RequestDetails request) {
		if (request == null) {
			return;
		}
		FhirElements fhir = FhirElements.of(capabilityStatement);
		IBase security = fhir.first(fhir.serverRest(capabilityStatement), "security");
		boolean declared = fhir.all(security, "service").stream().flatMap(service -> fhir.all(service, "coding").stream())
				.anyMatch(coding -> SERVICE_SYSTEM.equals(fhir.text(coding, "system"))
						&& SMART.equals(fhir.text(coding, "code")));
		if (!declared) {
			IBase service = fhir.add(security, "service");
			IBase coding = fhir.add(service, "coding");
			fhir.set(coding, "system", SERVICE_SYSTEM);
			fhir.set(coding, "code", SMART);
			fhir.set(coding, "display", SMART);
			fhir.set(service, "text", "OAuth2 using SMART-on-FHIR profile (SMART Backend Services)");
		}
		// The token URL follows the request's base (the configured one in mode smart): replaced on every request.
		IBaseExtension<?, ?> oauthUris = fhir.replaceExtension(security, OAUTH_URIS);
		fhir.addExtension(oauthUris, "token", "uri", baseUrl.of(request) + "/" + TokenEndpoint.PATH);
		fhir.set(security, "description", "SMART Backend Services: client_credentials with a private_key_jwt client"
				+ " assertion; see .well-known/smart-configuration");
	}
}
