package hapibulk.export;

import hapibulk.auth.AccessGrant;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.ScopeSet;
import hapibulk.auth.SearchReach;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * An export kick-off under the caller's access token: {@code _type} (and {@code _typeFilter},
 * {@code includeAssociatedData}'s Provenance) must lie within its read scopes, else 403; without
 * {@code _type} only the types it may read are exported. A patient-scoped client may export only
 * its own patient ({@code Patient/[id]/$export}, or {@code Patient/$export?patient=} that patient).
 * A Group export needs read access to Group (the members are read from it), and an export naming
 * patients read access to Patient: both are checked before the Group or patients are looked up, so
 * that a stored and an unknown id answer alike. A {@code _typeFilter}
 * must not look into types outside the read scopes through {@code _has} or chains (it would tell
 * which resources of the exported type have, say, a given Condition). AuditEvent is exported only when
 * {@code _type} names it, and only with {@value ScopeSet#AUDIT_SCOPE}.
 */
public class ExportAccess {

	private final PatientCompartment compartment;
	private final Set<String> knownTypes;
	private final boolean includeReferencedResources;
	private final SearchReach searchReach;

	public ExportAccess(PatientCompartment compartment, Set<String> knownTypes, boolean includeReferencedResources,
			SearchReach searchReach) {
		this.compartment = compartment;
		this.knownTypes = knownTypes;
		this.includeReferencedResources = includeReferencedResources;
		this.searchReach = searchReach;
	}

	public ExportRequest limit(ExportRequest request, AccessGrant grant) {
		if (grant.unrestricted()) {
			return request;
		}
		if (grant.patientScoped() && (request.level() != ExportLevel.PATIENT
				|| !request.patientIds().equals(List.of(grant.patient())))) {
			throw BulkAuthorization.forbidden(330, "This client may export only its own patient's data: use Patient/"
					+ grant.patient() + "/$export");
		}
		ScopeSet scopes = grant.scopes();
		if (request.level() == ExportLevel.GROUP && !scopes.mayRead("Group")) {
			throw BulkAuthorization.forbidden(342, "A Group export needs read access to the Group (system/Group.rs or"
					+ " system/Group.read)");
		}
		// Before any lookup: otherwise 404 (unknown) against 202 tells a client that may not read Patient which exist.
		if (!grant.patientScoped() && !request.patientIds().isEmpty() && !scopes.mayRead("Patient")) {
			throw BulkAuthorization.forbidden(346, "Naming patients (Patient/[id]/$export, or the patient parameter)"
					+ " needs read access to Patient (system/Patient.rs or system/Patient.read)");
		}
		if (request.types().contains(ScopeSet.AUDIT_TYPE) && !scopes.audit()) {
			throw BulkAuthorization.forbidden(352, "_type AuditEvent (the audit trail) needs the " + ScopeSet.AUDIT_SCOPE
					+ " scope");
		}
		for (String type : request.types()) {
			if (!scopes.mayRead(type)) {
				throw BulkAuthorization.forbidden(331, "_type " + type + " is outside the access token's scopes");
			}
		}
		for (String query : request.typeFilters()) {
			if (!scopes.mayRead(TypeFilters.typeOf(query))) {
				throw BulkAuthorization.forbidden(332, "_typeFilter on " + TypeFilters.typeOf(query)
						+ " is outside the access token's scopes");
			}
			Set<String> unreadable = SearchReach.unreadable(scopes, searchReach.typesReached(query));
			if (!unreadable.isEmpty()) {
				throw BulkAuthorization.forbidden(341, "_typeFilter '" + query + "' looks into " + String.join(", ", unreadable)
						+ " (through _has or a chained parameter), which the access token's scopes do not let it read");
			}
		}
		if (!request.associatedData().isEmpty() && !scopes.mayRead("Provenance")) {
			throw BulkAuthorization.forbidden(333, "includeAssociatedData needs read access to Provenance");
		}
		if (!request.types().isEmpty() || scopes.readsAllTypes()) {
			return request;
		}
		Set<String> permitted = new TreeSet<>();
		for (String type : scopes.readableTypes()) {
			// Like every export without _type, never the audit trail (ExportPlanTasklet): an auditor names it.
			if (knownTypes.contains(type) && !type.equals(ScopeSet.AUDIT_TYPE)
					&& (request.level() == ExportLevel.SYSTEM || compartment.contains(type)
					|| includeReferencedResources)) {
				permitted.add(type);
			}
		}
		if (permitted.isEmpty()) {
			throw BulkAuthorization.forbidden(334, "The access token's scopes allow reading none of the types this export"
					+ " level holds");
		}
		return request.withTypes(List.copyOf(permitted));
	}
}
