package hapibulk.imports.job;

import hapibulk.tenant.Tenant;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.model.dao.JpaPid;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import ca.uhn.fhir.util.FhirTerser;
import jakarta.persistence.EntityManager;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Looks up, a few queries per slice, which of the slice's resources and of the resources they
 * reference are stored already, and hands the answers to HAPI's write path in the slice's
 * {@link TransactionDetails}. Otherwise HAPI looks up each id, and each reference target it has not
 * seen, with a query of its own: a round trip and a query compilation per id, about a fifth of an
 * import's time. HAPI's transaction processor pre-resolves a Bundle's ids the same way.
 * <p>
 * The answers are the ones HAPI's own lookups would give at that moment: a resource's own id is
 * looked up deleted or not (an update of a deleted resource brings it back) and, when absent, is
 * marked absent, so HAPI creates it without asking again; a reference target is handed over only
 * when it is stored and not deleted, and any other target is left to HAPI (placeholders, deleted
 * targets and referential integrity stay HAPI's). A resource written earlier in the same slice
 * replaces its "absent" mark with its new key, as it does in a Bundle.
 */
class StoredIdPrefetch {

	/** Ids per query: one index probe each, and well under every database's parameter limit. */
	static final int IDS_PER_QUERY = 500;

	private final FhirContext fhirContext;
	private final EntityManager entityManager;

	/** @param entityManager HAPI's shared, transaction-bound entity manager (the slice's session) */
	StoredIdPrefetch(FhirContext fhirContext, EntityManager entityManager) {
		this.fhirContext = fhirContext;
		this.entityManager = entityManager;
	}

	void prefetch(List<IBaseResource> resources, TransactionDetails transaction) {
		Map<String, Set<String>> ownIds = new HashMap<>();
		Map<String, Set<String>> targets = new HashMap<>();
		FhirTerser terser = fhirContext.newTerser();
		for (IBaseResource resource : resources) {
			ownIds.computeIfAbsent(resource.fhirType(), type -> new HashSet<>()).add(resource.getIdElement().getIdPart());
			for (IBaseReference reference : terser.getAllPopulatedChildElementsOfType(resource, IBaseReference.class)) {
				IIdType target = reference.getReferenceElement();
				if (isLocal(target)) {
					targets.computeIfAbsent(target.getResourceType(), type -> new HashSet<>()).add(target.getIdPart());
				}
			}
		}
		ownIds.forEach((type, ids) -> {
			Map<String, Row> stored = stored(type, ids);
			for (String id : ids) {
				Row row = stored.get(id);
				IIdType resourceId = idOf(type, id);
				transaction.addResolvedResourceId(resourceId, row == null ? null : row.pid(type, resourceId));
			}
		});
		targets.forEach((type, ids) -> {
			Set<String> unknown = new HashSet<>(ids);
			unknown.removeIf(id -> transaction.hasResolvedResourceId(idOf(type, id)));
			stored(type, unknown).forEach((id, row) -> {
				if (!row.deleted()) {
					transaction.addResolvedResourceId(idOf(type, id), row.pid(type, idOf(type, id)));
				}
			});
		});
	}

	/** An id of the host's FHIR version (HAPI compares ids with equals(), which holds within one version only). */
	private IIdType idOf(String type, String id) {
		return fhirContext.getVersion().newIdType(type, id);
	}

	/** A plain reference to a resource of this server by type and id: no URL, no version, not contained. */
	private boolean isLocal(IIdType target) {
		return target != null && !target.isEmpty() && !target.isLocal() && !target.isAbsolute()
				&& !target.hasVersionIdPart() && target.hasResourceType() && target.hasIdPart()
				&& fhirContext.getResourceTypes().contains(target.getResourceType());
	}

	/** The ids of {@code type} among {@code ids} that are stored, deleted or not (in any partition). */
	static Set<String> storedIds(EntityManager entityManager, String type, Set<String> ids) {
		return storedIds(entityManager, type, ids, null);
	}

	/** The ids stored in the tenant's partition(s) (any partition when null): another tenant's id is not stored here. */
	static Set<String> storedIds(EntityManager entityManager, String type, Set<String> ids, Tenant tenant) {
		return stored(entityManager, type, ids, tenant).keySet();
	}

	private Map<String, Row> stored(String type, Set<String> ids) {
		return stored(entityManager, type, ids, null);
	}

	private static Map<String, Row> stored(EntityManager entityManager, String type, Set<String> ids, Tenant tenant) {
		Map<String, Row> rows = new HashMap<>();
		List<String> all = new ArrayList<>(ids);
		for (int from = 0; from < all.size(); from += IDS_PER_QUERY) {
			List<String> batch = all.subList(from, Math.min(all.size(), from + IDS_PER_QUERY));
			@SuppressWarnings("unchecked")
			List<Object[]> result = entityManager.createNativeQuery(
					"SELECT FHIR_ID, RES_ID, PARTITION_ID, RES_DELETED_AT FROM HFJ_RESOURCE"
							+ " WHERE RES_TYPE = :type AND FHIR_ID IN (:ids)")
					.setParameter("type", type)
					.setParameter("ids", batch)
					.getResultList();
			for (Object[] row : result) {
				Integer partition = row[2] == null ? null : ((Number) row[2]).intValue();
				if (tenant != null && !tenant.allPartitions() && !tenant.ids().contains(partition)) {
					continue;
				}
				rows.put((String) row[0], new Row(((Number) row[1]).longValue(),
						row[2] == null ? null : ((Number) row[2]).intValue(), row[3] != null));
			}
		}
		return rows;
	}

	/** A stored resource's key, as HAPI's own lookup returns it. */
	private record Row(long resourceKey, Integer partitionId, boolean deleted) {
		JpaPid pid(String type, IIdType id) {
			JpaPid pid = JpaPid.fromId(resourceKey, partitionId);
			pid.setResourceType(type);
			pid.setAssociatedResourceId(id);
			return pid;
		}
	}
}
