package hapibulk.testsupport;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.util.BundleBuilder;
import org.hl7.fhir.instance.model.api.IBaseBundle;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.List;

/**
 * Loads NDJSON resources into a HAPI server of any FHIR version through its system DAO, as transactions of PUTs
 * (ids kept), each line parsed by the server's own parser.
 */
public final class HapiLoader {

	private static final int BATCH = 200;

	private final FhirContext fhirContext;
	private final IFhirSystemDao<IBaseBundle, ?> systemDao;

	@SuppressWarnings("unchecked")
	public HapiLoader(FhirContext fhirContext, IFhirSystemDao<?, ?> systemDao) {
		this.fhirContext = fhirContext;
		this.systemDao = (IFhirSystemDao<IBaseBundle, ?>) systemDao;
	}

	/** Loads the lines in order; returns how many resources were stored. */
	public int load(List<String> ndjsonLines) {
		return load(ndjsonLines, new SystemRequestDetails());
	}

	/** Loads the lines in order with this request (e.g. a system request in a partition); returns how many. */
	public int load(List<String> ndjsonLines, SystemRequestDetails request) {
		var parser = fhirContext.newJsonParser();
		for (int from = 0; from < ndjsonLines.size(); from += BATCH) {
			BundleBuilder bundle = new BundleBuilder(fhirContext);
			for (String line : ndjsonLines.subList(from, Math.min(from + BATCH, ndjsonLines.size()))) {
				IBaseResource resource = parser.parseResource(line);
				bundle.addTransactionUpdateEntry(resource);
			}
			systemDao.transaction(request, bundle.getBundle());
		}
		return ndjsonLines.size();
	}
}
