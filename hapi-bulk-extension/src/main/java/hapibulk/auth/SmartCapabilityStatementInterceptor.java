package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import hapibulk.support.ServerBaseUrl;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/**
 * Declares SMART-on-FHIR security in the CapabilityStatement: {@code rest.security.service} and
 * the {@code oauth-uris} extension naming the token endpoint (mode smart).
 */
@Interceptor
public class SmartCapabilityStatementInterceptor {

	public static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

	private final ServerBaseUrl baseUrl;

	public SmartCapabilityStatementInterceptor(ServerBaseUrl baseUrl) {
		this.baseUrl = baseUrl;
	}

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareSmart(IBaseConformance capabilityStatement, RequestDetails request) {
		if (!(capabilityStatement instanceof CapabilityStatement r4) || request == null) {
			return;
		}
		if (r4.getRest().isEmpty()) {
			r4.addRest().setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
		}
		CapabilityStatement.CapabilityStatementRestSecurityComponent security = r4.getRestFirstRep().getSecurity();
		security.getExtension().removeIf(e -> OAUTH_URIS.equals(e.getUrl()));
		security.getService().removeIf(s -> s.hasCoding("http://terminology.hl7.org/CodeSystem/restful-security-service",
				"SMART-on-FHIR"));
		security.addService(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/restful-security-service",
				"SMART-on-FHIR", "SMART-on-FHIR")).setText("OAuth2 using SMART-on-FHIR profile (SMART Backend Services)"));
		Extension oauthUris = security.addExtension().setUrl(OAUTH_URIS);
		oauthUris.addExtension("token", new UriType(baseUrl.of(request) + "/" + TokenEndpoint.PATH));
		security.setDescription("SMART Backend Services: client_credentials with a private_key_jwt client assertion;"
				+ " see .well-known/smart-configuration");
	}
}
