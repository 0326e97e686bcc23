package hapibulk.imports.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stores parsed resources through HAPI's DAOs, so they are validated, indexed and searchable like
 * any other write: update-as-create with the resource's own id, so importing the same data twice
 * changes nothing. Runs inside the caller's transaction.
 * <p>
 * One {@code update} per resource, sharing one {@link TransactionDetails}, so that references
 * between resources of the chunk resolve without the database. Not a transaction Bundle: HAPI looks
 * up a Bundle's ids in one query of OR-ed (type, id) pairs, which H2 answers by reading the whole
 * resource table for every chunk (an import's cost then grows with the size of the server). One id
 * at a time is an index lookup, and {@link StoredIdPrefetch} does those lookups for HAPI a few
 * hundred at a time (unless HAPI partitions its data: then HAPI looks up each id itself).
 * <p>
 * The session is flushed at commit (otherwise each lookup first flushes the pending inserts, over
 * and over) and wherever the writes turn from updates of stored resources to creates or back:
 * Hibernate's insert ordering can put a new resource's index rows before the resource's own row
 * when one flush holds both kinds, and the database then refuses the chunk. Without the prefetch
 * the kind of a write is not known beforehand, so the session is flushed after every write.
 * <p>
 * An import whose token may not create or may not update its type ({@link WriteRights}) first
 * looks up which of the ids are stored, deleted ones included, and writes only what it may: a
 * {@code system/Patient.c} import adds new Patients but neither changes nor brings back stored ones,
 * as the same token could not over REST.
 */
class ImportResourceStore {

	private final DaoRegistry daoRegistry;
	private final EntityManager entityManager;
	private final StoredIdPrefetch prefetch;

	/**
	 * @param entityManager HAPI's shared, transaction-bound entity manager
	 * @param prefetch      null to let HAPI look up every id itself
	 */
	ImportResourceStore(DaoRegistry daoRegistry, EntityManager entityManager, StoredIdPrefetch prefetch) {
		this.daoRegistry = daoRegistry;
		this.entityManager = entityManager;
		this.prefetch = prefetch;
	}

	/** Stores every resource (an import whose token may create and update its types). */
	void store(List<IBaseResource> resources) {
		store(resources, WriteRights.ALL);
	}

	/** A line the rights did not allow, and whether its resource was stored already. */
	record Refusal(IBaseResource resource, boolean stored) {}

	/**
	 * Stores the resources the rights allow: a resource whose id is stored (deleted or not), or
	 * appears earlier in the list, needs {@code update}; any other needs {@code create}. Returns the
	 * others, not written.
	 */
	List<Refusal> store(List<IBaseResource> resources, WriteRights rights) {
		if (resources.isEmpty()) {
			return List.of();
		}
		entityManager.setFlushMode(FlushModeType.COMMIT);
		List<IBaseResource> allowed = resources;
		List<Refusal> refused = List.of();
		Map<String, Set<String>> creates = Map.of();
		if (rights.restricted()) {
			allowed = new ArrayList<>();
			refused = new ArrayList<>();
			creates = new HashMap<>();
			sortOut(resources, rights, allowed, refused, creates);
		}
		SystemRequestDetails request = rights.requestDetails();
		TransactionDetails transaction = new TransactionDetails();
		if (prefetch != null && !allowed.isEmpty()) {
			prefetch.prefetch(allowed, transaction);
		}
		// What was looked up as absent is created, never updated, even if someone stores it meanwhile.
		var version = daoRegistry.getFhirContext().getVersion();
		creates.forEach((type, ids) -> ids.forEach(id -> transaction.addResolvedResourceId(version.newIdType(type, id),
				null)));
		Boolean previousWasCreate = null;
		for (IBaseResource resource : allowed) {
			// A retried write must not ask for the version an earlier, rolled-back attempt set on it.
			IIdType id = resource.getIdElement().toUnqualifiedVersionless().withResourceType(resource.fhirType());
			resource.setId(id);
			boolean create = prefetch != null && transaction.hasNullResolvedResourceId(id);
			if (previousWasCreate != null && (prefetch == null || previousWasCreate != create)) {
				entityManager.flush();
			}
			update(resource, request, transaction);
			previousWasCreate = create;
		}
		if (!rights.update()) {
			refuseIfCreatedMeanwhile(creates);
		}
		return refused;
	}

	/** Splits the resources into the allowed and the refused ones; notes the ids the allowed ones create. */
	private void sortOut(List<IBaseResource> resources, WriteRights rights, List<IBaseResource> allowed,
			List<Refusal> refused, Map<String, Set<String>> creates) {
		Map<String, Set<String>> idsByType = new HashMap<>();
		resources.forEach(resource -> idsByType.computeIfAbsent(resource.fhirType(), type -> new HashSet<>())
				.add(resource.getIdElement().getIdPart()));
		Map<String, Set<String>> stored = new HashMap<>();
		idsByType.forEach((type, ids) -> stored.put(type, new HashSet<>(StoredIdPrefetch.storedIds(entityManager, type, ids, rights.tenant()))));
		for (IBaseResource resource : resources) {
			String id = resource.getIdElement().getIdPart();
			// add: a second line with the same id changes what the first one stored
			boolean exists = !stored.get(resource.fhirType()).add(id);
			if (exists ? rights.update() : rights.create()) {
				allowed.add(resource);
				if (!exists) {
					creates.computeIfAbsent(resource.fhirType(), type -> new HashSet<>()).add(id);
				}
			} else {
				refused.add(new Refusal(resource, exists));
			}
		}
	}

	/**
	 * For an import that may not update: whether someone else stored one of the ids it just created
	 * after it looked (HAPI's unique key on type and id does not hold without partitioning, where the
	 * partition is null); then the slice is undone, and the line, tried again alone, is refused.
	 * A writer that has not committed yet is not seen: that race is HAPI's own, as for two PUTs.
	 */
	private void refuseIfCreatedMeanwhile(Map<String, Set<String>> creates) {
		if (creates.isEmpty()) {
			return;
		}
		entityManager.flush();
		creates.forEach((type, ids) -> {
			List<String> all = new ArrayList<>(ids);
			for (int from = 0; from < all.size(); from += StoredIdPrefetch.IDS_PER_QUERY) {
				List<?> twice = entityManager.createNativeQuery("SELECT FHIR_ID FROM HFJ_RESOURCE"
								+ " WHERE RES_TYPE = :type AND FHIR_ID IN (:ids) GROUP BY FHIR_ID HAVING COUNT(*) > 1")
						.setParameter("type", type)
						.setParameter("ids", all.subList(from, Math.min(all.size(), from + StoredIdPrefetch.IDS_PER_QUERY)))
						.getResultList();
				if (!twice.isEmpty()) {
					throw new RefusedWriteException(type + "/" + twice.get(0) + " was stored by another writer meanwhile",
							true);
				}
			}
		});
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void update(IBaseResource resource, SystemRequestDetails request, TransactionDetails transaction) {
		IFhirResourceDao dao = daoRegistry.getResourceDao(resource.fhirType());
		dao.update(resource, null, true, false, request, transaction);
	}
}
