package hapibulk.imports.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.List;

/**
 * Stores parsed resources through HAPI's DAOs, so they are validated, indexed and searchable like
 * any other write: update-as-create with the resource's own id, so importing the same data twice
 * changes nothing. Runs inside the caller's transaction; one {@link TransactionDetails} for the
 * whole chunk lets HAPI share its lookups (e.g. of match-URL references) between the resources.
 */
class ImportResourceStore {

	private final DaoRegistry daoRegistry;

	ImportResourceStore(DaoRegistry daoRegistry) {
		this.daoRegistry = daoRegistry;
	}

	void store(List<IBaseResource> resources) {
		SystemRequestDetails request = new SystemRequestDetails();
		TransactionDetails transaction = new TransactionDetails();
		for (IBaseResource resource : resources) {
			store(resource, request, transaction);
		}
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void store(IBaseResource resource, SystemRequestDetails request, TransactionDetails transaction) {
		IFhirResourceDao dao = daoRegistry.getResourceDao(resource.fhirType());
		dao.update(resource, null, true, false, request, transaction);
	}
}
