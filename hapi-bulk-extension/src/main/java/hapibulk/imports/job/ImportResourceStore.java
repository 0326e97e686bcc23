package hapibulk.imports.job;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

import java.util.List;

/**
 * Stores parsed resources through HAPI, so they are validated, indexed and searchable like any other
 * write: update-as-create with the resource's own id, so importing the same data twice changes
 * nothing. Runs inside the caller's transaction.
 * <p>
 * A chunk goes to HAPI as one transaction Bundle of PUTs ({@code transactionNested}): HAPI then
 * looks up the existing ids and resolves match-URL references for the whole chunk at once instead
 * of once per resource. A single resource goes through its DAO.
 */
class ImportResourceStore {

	private final DaoRegistry daoRegistry;
	private final IFhirSystemDao<Bundle, ?> systemDao;

	ImportResourceStore(DaoRegistry daoRegistry, IFhirSystemDao<Bundle, ?> systemDao) {
		this.daoRegistry = daoRegistry;
		this.systemDao = systemDao;
	}

	void store(List<IBaseResource> resources) {
		if (resources.isEmpty()) {
			return;
		}
		SystemRequestDetails request = new SystemRequestDetails();
		if (resources.size() == 1) {
			TransactionDetails transaction = new TransactionDetails();
			resources.forEach(resource -> update(resource, request, transaction));
			return;
		}
		Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (IBaseResource resource : resources) {
			String reference = resource.fhirType() + "/" + resource.getIdElement().getIdPart();
			bundle.addEntry().setFullUrl(reference).setResource((Resource) resource).getRequest()
					.setMethod(Bundle.HTTPVerb.PUT).setUrl(reference);
		}
		systemDao.transactionNested(request, bundle);
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private void update(IBaseResource resource, SystemRequestDetails request, TransactionDetails transaction) {
		IFhirResourceDao dao = daoRegistry.getResourceDao(resource.fhirType());
		dao.update(resource, null, true, false, request, transaction);
	}
}
