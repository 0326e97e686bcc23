package hapibulk.imports.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.util.List;

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

	void store(List<IBaseResource> resources) {
		if (resources.isEmpty()) {
			return;
		}
		entityManager.setFlushMode(FlushModeType.COMMIT);
		SystemRequestDetails request = new SystemRequestDetails();
		TransactionDetails transaction = new TransactionDetails();
		if (prefetch != null) {
			prefetch.prefetch(resources, transaction);
		}
		Boolean previousWasCreate = null;
		for (IBaseResource resource : resources) {
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
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void update(IBaseResource resource, SystemRequestDetails request, TransactionDetails transaction) {
		IFhirResourceDao dao = daoRegistry.getResourceDao(resource.fhirType());
		dao.update(resource, null, true, false, request, transaction);
	}
}
