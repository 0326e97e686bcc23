package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST rules a token's scopes turn into, asked of HAPI's AuthorizationInterceptor directly. */
class ScopeAuthorizationInterceptorTest {

	static final FhirContext FHIR = FhirContext.forR4Cached();
	final ScopeAuthorizationInterceptor interceptor = new ScopeAuthorizationInterceptor(new SearchReach(FHIR, null));

	@Test
	void writeScope_allowsCreateAndUpdate_notRead() throws Exception {
		SystemRequestDetails request = request("system/*.write", null);
		Patient patient = new Patient();
		patient.setId("Patient/p1");

		assertThat(decide(RestOperationTypeEnum.UPDATE, request, patient, new IdType("Patient/p1"), null)).isEqualTo(PolicyEnum.ALLOW);
		assertThat(decide(RestOperationTypeEnum.CREATE, request, patient, null, null)).isEqualTo(PolicyEnum.ALLOW);
		assertThat(decide(RestOperationTypeEnum.READ, request, null, new IdType("Patient/p1"), patient)).isEqualTo(PolicyEnum.DENY);
	}

	@Test
	void typeScopes_allowOnlyTheirTypes() throws Exception {
		SystemRequestDetails request = request("system/Patient.rs", null);
		Patient patient = new Patient();
		patient.setId("Patient/p1");
		Observation observation = new Observation();
		observation.setId("Observation/o1");

		assertThat(decide(RestOperationTypeEnum.READ, request, null, new IdType("Patient/p1"), patient)).isEqualTo(PolicyEnum.ALLOW);
		assertThat(decide(RestOperationTypeEnum.READ, request, null, new IdType("Observation/o1"), observation))
				.isEqualTo(PolicyEnum.DENY);
		assertThat(decide(RestOperationTypeEnum.UPDATE, request, patient, new IdType("Patient/p1"), null)).isEqualTo(PolicyEnum.DENY);
	}

	@Test
	void patientScopedClient_readsOnlyItsCompartment() throws Exception {
		SystemRequestDetails request = request("system/*.read", "p1");
		Observation own = new Observation();
		own.setId("Observation/o1");
		own.setSubject(new Reference("Patient/p1"));
		Observation other = new Observation();
		other.setId("Observation/o2");
		other.setSubject(new Reference("Patient/p2"));

		assertThat(decide(RestOperationTypeEnum.READ, request, null, new IdType("Observation/o1"), own)).isEqualTo(PolicyEnum.ALLOW);
		assertThat(decide(RestOperationTypeEnum.READ, request, null, new IdType("Observation/o2"), other)).isEqualTo(PolicyEnum.DENY);
	}

	private PolicyEnum decide(RestOperationTypeEnum operation, SystemRequestDetails request,
			org.hl7.fhir.instance.model.api.IBaseResource input, IdType id,
			org.hl7.fhir.instance.model.api.IBaseResource output) {
		request.setRestOperationType(operation);
		if (id != null) {
			request.setResourceName(id.getResourceType());
			request.setId(id);
		}
		return interceptor.applyRulesAndReturnDecision(operation, request, input, id, output,
				output == null ? Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED : Pointcut.STORAGE_PRESHOW_RESOURCES).getDecision();
	}

	private static SystemRequestDetails request(String scope, String patient) throws Exception {
		SystemRequestDetails request = new SystemRequestDetails();
		request.setFhirContext(FHIR);
		request.getUserData().put(BulkAuthorization.GRANT_KEY,
				new AccessGrant("c1", ScopeSet.parse(scope, FHIR.getResourceTypes()), patient, null));
		return request;
	}
}
