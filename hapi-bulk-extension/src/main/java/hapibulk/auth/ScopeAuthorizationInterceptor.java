package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationConstants;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOpClassifier;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOp;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;

import java.util.List;
import java.util.Set;

/**
 * The server's whole REST API under the token's scopes, enforced by HAPI's
 * {@link AuthorizationInterceptor}: read/search with {@code r}/{@code s} (v1 {@code read}),
 * create with {@code c}, update with {@code u}, delete with {@code d}; a patient-scoped client only
 * within its patient's compartment; everything else denied. The bulk operations themselves are let
 * through here because their providers check scopes, patients and job owners (through
 * {@link BulkAuthorization}); {@code $import} only with a create scope.
 */
@Interceptor(order = AuthorizationConstants.ORDER_AUTH_INTERCEPTOR)
public class ScopeAuthorizationInterceptor extends AuthorizationInterceptor {

	/** Operations whose providers do their own checks. */
	static final List<String> BULK_SERVER_OPERATIONS = List.of("$export", "$bulk-status", "$bulk-file");

	@Override
	public List<IAuthRule> buildRuleList(RequestDetails request) {
		Object value = request.getUserData().get(BulkAuthorization.GRANT_KEY);
		RuleBuilder rules = new RuleBuilder();
		if (!(value instanceof AccessGrant grant)) {
			return rules.allow().metadata().andThen().denyAll("No access token").build();
		}
		rules.allow().metadata();
		BULK_SERVER_OPERATIONS.forEach(op -> rules.allow().operation().named(op).onServer().andAllowAllResponses());
		rules.allow().operation().named("$export").onType(Patient.class).andAllowAllResponses();
		rules.allow().operation().named("$export").onInstancesOfType(Patient.class).andAllowAllResponses();
		rules.allow().operation().named("$export").onInstancesOfType(Group.class).andAllowAllResponses();
		if (!grant.patientScoped() && grant.scopes().mayCreateAny()) {
			rules.allow().operation().named("$import").onServer().andAllowAllResponses();
		}
		IIdType patient = grant.patientScoped() ? new IdType("Patient", grant.patient()) : null;
		boolean writes = false;
		for (SmartScope scope : grant.scopes().scopes()) {
			Set<Permission> permissions = scope.permissions();
			if (permissions.contains(Permission.READ) || permissions.contains(Permission.SEARCH)) {
				finish(target(rules.allow().read(), scope), patient);
			}
			if (permissions.contains(Permission.CREATE)) {
				finish(target(rules.allow().create(), scope), patient);
				writes = true;
			}
			if (permissions.contains(Permission.UPDATE)) {
				// HAPI's "write" covers update (and create by PUT to a new id, which is an update in FHIR terms).
				finish(target(rules.allow().write(), scope), patient);
				writes = true;
			}
			if (permissions.contains(Permission.DELETE)) {
				finish(target(rules.allow().delete(), scope), patient);
				writes = true;
			}
		}
		if (writes) {
			rules.allow().transaction().withAnyOperation().andApplyNormalRules();
		}
		return rules.denyAll("Not within the access token's scopes").build();
	}

	private static IAuthRuleBuilderRuleOpClassifier target(IAuthRuleBuilderRuleOp op, SmartScope scope) {
		return scope.resourceType().equals(SmartScope.ALL_TYPES) ? op.allResources() : op.resourcesOfType(scope.resourceType());
	}

	private static void finish(IAuthRuleBuilderRuleOpClassifier classifier, IIdType patient) {
		if (patient == null) {
			classifier.withAnyId();
		} else {
			classifier.inCompartment("Patient", patient);
		}
	}
}
