package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationConstants;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOp;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilderRuleOpClassifier;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import org.hl7.fhir.instance.model.api.IBaseBundle;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The server's whole REST API under the token's scopes, enforced by HAPI's
 * {@link AuthorizationInterceptor}: read/search with {@code r}/{@code s} (v1 {@code read}),
 * create with {@code c}, update with {@code u}, delete with {@code d}; a patient-scoped client only
 * within its patient's compartment; everything else denied. The bulk operations themselves are let
 * through here because their providers check scopes, patients and job owners (through
 * {@link BulkAuthorization}); {@code $import} only with a create scope. Searches (and conditional
 * URLs) whose {@code _has}, chains or includes reach types outside the read scopes are refused
 * first ({@link SearchReach}): HAPI's rules look only at the resources returned, not at what was
 * searched to pick them. So are writes whose references hold inline match URLs ({@link InlineMatchUrls})
 * searching types outside the read scopes.
 */
@Interceptor(order = AuthorizationConstants.ORDER_AUTH_INTERCEPTOR)
public class ScopeAuthorizationInterceptor extends AuthorizationInterceptor {

	/** Operations whose providers do their own checks. */
	static final List<String> BULK_SERVER_OPERATIONS = List.of("$export", "$bulk-status", "$bulk-file", "$bulk-jobs");

	private final SearchReach searchReach;
	private final InlineMatchUrls inlineMatchUrls;
	/** The host's Patient and Group classes (of its FHIR version), which HAPI's operation rules are given. */
	private final Class<? extends IBaseResource> patientClass;
	private final Class<? extends IBaseResource> groupClass;

	public ScopeAuthorizationInterceptor(SearchReach searchReach) {
		this.searchReach = searchReach;
		this.inlineMatchUrls = new InlineMatchUrls(searchReach);
		this.patientClass = searchReach.fhirContext().getResourceDefinition("Patient").getImplementingClass();
		this.groupClass = searchReach.fhirContext().getResourceDefinition("Group").getImplementingClass();
	}

	/**
	 * Refuses a search, or a conditional create/update/delete/patch, whose parameters look into types
	 * the token may not read: the answer (which resources match, 200 or 201) would tell what those
	 * types hold. The same for the conditional URLs and GET entries of a transaction or batch, and for
	 * the inline match URLs of the resources written.
	 */
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void refuseSearchesBeyondScopes(RequestDetails request, RestOperationTypeEnum operation) {
		if (!(request.getUserData().get(BulkAuthorization.GRANT_KEY) instanceof AccessGrant grant) || operation == null) {
			return;
		}
		Set<String> reached = new LinkedHashSet<>();
		switch (operation) {
			case SEARCH_TYPE, SEARCH_SYSTEM, GET_PAGE ->
					reached.addAll(searchReach.typesReached(request.getResourceName(), request.getParameters()));
			case CREATE, UPDATE, DELETE, PATCH -> {
				String conditional = operation == RestOperationTypeEnum.CREATE ? request.getHeader("If-None-Exist")
						: request.getConditionalUrl(operation);
				if (conditional != null && !conditional.isBlank()) {
					reached.addAll(searchReach.typesReached(conditional.contains("?") ? conditional
							: request.getResourceName() + "?" + conditional));
				}
			}
			case TRANSACTION, BATCH -> {
				if (request.getResource() instanceof IBaseBundle bundle) {
					TransactionSearches.of(searchReach.fhirContext(), bundle)
							.forEach(url -> reached.addAll(searchReach.typesReached(url)));
				}
			}
			default -> {
				return;
			}
		}
		Set<String> unreadable = SearchReach.unreadable(grant.scopes(), reached);
		if (!unreadable.isEmpty()) {
			throw BulkAuthorization.forbidden(340, "The search parameters (_has, chains, _include/_revinclude) look into "
					+ String.join(", ", unreadable) + ", which the access token's scopes do not let it read");
		}
		if (operation != RestOperationTypeEnum.DELETE && operation != RestOperationTypeEnum.PATCH) {
			refuseInlineMatchUrls(grant, request.getResource());
		}
	}

	/** Every resource HAPI is about to store for the client (a patch's result, a transaction's entries too). */
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void refuseInlineMatchUrlsOnCreate(IBaseResource resource, RequestDetails request) {
		if (request != null && request.getUserData().get(BulkAuthorization.GRANT_KEY) instanceof AccessGrant grant) {
			refuseInlineMatchUrls(grant, resource);
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void refuseInlineMatchUrlsOnUpdate(IBaseResource previous, IBaseResource resource, RequestDetails request) {
		refuseInlineMatchUrlsOnCreate(resource, request);
	}

	/**
	 * Before HAPI resolves them (it searches as the writer): the types the match URLs search must all be
	 * readable; a patient-scoped client may use none, since a match URL searches beyond its patient.
	 */
	private void refuseInlineMatchUrls(AccessGrant grant, IBaseResource resource) {
		if (resource == null || grant.unrestricted()) {
			return;
		}
		Set<String> unreadable = grant.patientScoped() ? SearchReach.unreadable(Set.of(), inlineMatchUrls.typesReached(resource))
				: inlineMatchUrls.unreadable(resource, SearchReach.readable(grant.scopes()));
		if (!unreadable.isEmpty()) {
			throw BulkAuthorization.forbidden(344, "A reference holds a match URL (" + String.join(", ",
					inlineMatchUrls.in(resource)) + ") that searches " + String.join(", ", unreadable) + ", which "
					+ (grant.patientScoped() ? "a patient-scoped token may not search" : "the access token's scopes"
					+ " do not let it read") + "; reference resources by id, or ask for read access");
		}
	}

	@Override
	public List<IAuthRule> buildRuleList(RequestDetails request) {
		Object value = request.getUserData().get(BulkAuthorization.GRANT_KEY);
		List<IAuthRule> rules = new ArrayList<>();
		rule(rules, allow -> allow.metadata());
		if (!(value instanceof AccessGrant grant)) {
			rules.addAll(new RuleBuilder().denyAll("No access token").build());
			return rules;
		}
		BULK_SERVER_OPERATIONS.forEach(op -> rule(rules, allow -> allow.operation().named(op).onServer().andAllowAllResponses()));
		rule(rules, allow -> allow.operation().named("$export").onType(patientClass).andAllowAllResponses());
		rule(rules, allow -> allow.operation().named("$export").onInstancesOfType(patientClass).andAllowAllResponses());
		rule(rules, allow -> allow.operation().named("$export").onInstancesOfType(groupClass).andAllowAllResponses());
		if (!grant.patientScoped() && grant.scopes().mayCreateAny()) {
			rule(rules, allow -> allow.operation().named("$import").onServer().andAllowAllResponses());
		}
		// The providers refuse (with their own codes) a token without system/bulk-submit or without write scopes.
		rule(rules, allow -> allow.operation().named("$bulk-submit").onServer().andAllowAllResponses());
		rule(rules, allow -> allow.operation().named("$bulk-submit-status").onServer().andAllowAllResponses());
		// The host's own IdType: HAPI matches the compartment owner to a read's id with equals().
		IIdType patient = grant.patientScoped()
				? searchReach.fhirContext().getVersion().newIdType("Patient", grant.patient()) : null;
		boolean writes = false;
		for (SmartScope scope : grant.scopes().scopes()) {
			Set<Permission> permissions = scope.permissions();
			if (permissions.contains(Permission.READ) || permissions.contains(Permission.SEARCH)) {
				rule(rules, allow -> finish(target(allow.read(), scope), patient));
			}
			if (permissions.contains(Permission.CREATE)) {
				rule(rules, allow -> finish(target(allow.create(), scope), patient));
				writes = true;
			}
			if (permissions.contains(Permission.UPDATE)) {
				// HAPI's "write" covers update (and create by PUT to a new id, which is an update in FHIR terms).
				rule(rules, allow -> finish(target(allow.write(), scope), patient));
				writes = true;
			}
			if (permissions.contains(Permission.DELETE)) {
				rule(rules, allow -> finish(target(allow.delete(), scope), patient));
				writes = true;
			}
		}
		if (grant.scopes().audit()) {
			// The audit trail, for auditors (AuditTrailGuard keeps every other token away from it).
			rule(rules, allow -> finish(allow.read().resourcesOfType(ScopeSet.AUDIT_TYPE), patient));
		}
		if (writes) {
			rule(rules, allow -> allow.transaction().withAnyOperation().andApplyNormalRules());
		}
		rules.addAll(new RuleBuilder().denyAll("Not within the access token's scopes").build());
		return rules;
	}

	/**
	 * One rule from a builder of its own: HAPI 8.8's RuleBuilder gives a {@code write()} rule that
	 * follows a {@code create()} rule on the same targets the create operation (it merges them).
	 */
	private static void rule(List<IAuthRule> rules, Consumer<IAuthRuleBuilderRule> definition) {
		RuleBuilder builder = new RuleBuilder();
		definition.accept(builder.allow());
		rules.addAll(builder.build());
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
