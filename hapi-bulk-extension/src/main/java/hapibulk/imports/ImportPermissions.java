package hapibulk.imports;

import hapibulk.auth.AccessGrant;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.Permission;
import hapibulk.auth.SearchReach;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the kick-off's access token allowed the import to do, per input type: create resources
 * (a line whose id is not stored yet) and update them (a line whose id is stored, or stored and
 * deleted: bringing it back changes it too); and which types it may read, since a line's inline match
 * URLs ({@code Practitioner?identifier=...}) search as it is stored. Taken at the kick-off and kept
 * with the job, because the lines are stored later, by workers that see only the job's request.
 * {@link #ALL} when authorization is off.
 *
 * @param creatable the types whose new resources may be stored; null: every type
 * @param updatable the types whose stored resources may be changed; null: every type
 * @param readable  the types the lines' match URLs may search; null: every type
 */
public record ImportPermissions(Set<String> creatable, Set<String> updatable, Set<String> readable) {

	public static final ImportPermissions ALL = new ImportPermissions(null, null, null);

	public ImportPermissions {
		creatable = creatable == null ? null : Set.copyOf(creatable);
		updatable = updatable == null ? null : Set.copyOf(updatable);
		readable = readable == null ? null : Set.copyOf(readable);
	}

	/** Rights whose lines' match URLs may search every type. */
	public ImportPermissions(Set<String> creatable, Set<String> updatable) {
		this(creatable, updatable, null);
	}

	/**
	 * The grant's rights on the given types; refuses (403) a patient-scoped client, and a type the
	 * grant may neither create nor update (no line of it could be stored).
	 */
	public static ImportPermissions of(AccessGrant grant, Collection<String> types) {
		if (grant.unrestricted()) {
			return ALL;
		}
		if (grant.patientScoped()) {
			throw BulkAuthorization.forbidden(224, "$import needs system scopes, not patient-scoped ones");
		}
		Set<String> creatable = new TreeSet<>();
		Set<String> updatable = new TreeSet<>();
		for (String type : types) {
			boolean create = grant.scopes().allows(Permission.CREATE, type);
			boolean update = grant.scopes().allows(Permission.UPDATE, type);
			if (!create && !update) {
				throw BulkAuthorization.forbidden(223, "The access token allows neither creating nor updating "
						+ type + " (system/" + type + ".c to import new ones, .u to change stored ones)");
			}
			if (create) {
				creatable.add(type);
			}
			if (update) {
				updatable.add(type);
			}
		}
		return new ImportPermissions(creatable, updatable, SearchReach.readable(grant.scopes()));
	}

	public boolean mayCreate(String type) {
		return creatable == null || creatable.contains(type);
	}

	public boolean mayUpdate(String type) {
		return updatable == null || updatable.contains(type);
	}
}
