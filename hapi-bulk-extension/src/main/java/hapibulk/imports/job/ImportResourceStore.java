package hapibulk.imports.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import org.hl7.fhir.instance.model.api.IBaseResource;

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
 * at a time is an index lookup. The session is flushed at commit only: otherwise each lookup
 * first flushes the chunk's pending inserts, over and over.
 */
class ImportResourceStore {

	private final DaoRegistry daoRegistry;
	private final EntityManager entityManager;

	/** @param entityManager HAPI's shared, transaction-bound entity manager */
	ImportResourceStore(DaoRegistry daoRegistry, EntityManager entityManager) {
		this.daoRegistry = daoRegistry;
		this.entityManager = entityManager;
	}

	void store(List<IBaseResource> resources) {
		if (resources.isEmpty()) {
			return;
		}
		entityManager.setFlushMode(FlushModeType.COMMIT);
		SystemRequestDetails request = new SystemRequestDetails();
		TransactionDetails transaction = new TransactionDetails();
		resources.forEach(resource -> update(resource, request, transaction));
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void update(IBaseResource resource, SystemRequestDetails request, TransactionDetails transaction) {
		IFhirResourceDao dao = daoRegistry.getResourceDao(resource.fhirType());
		dao.update(resource, null, true, false, request, transaction);
	}
}
