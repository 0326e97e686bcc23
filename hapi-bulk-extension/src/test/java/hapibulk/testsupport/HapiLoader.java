package hapibulk.testsupport;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;

import java.util.List;

/** Loads NDJSON resources into a HAPI server through its system DAO, as transactions of PUTs (ids kept). */
public final class HapiLoader {

	private static final int BATCH = 200;

	private final FhirContext fhirContext;
	private final IFhirSystemDao<Bundle, ?> systemDao;

	public HapiLoader(FhirContext fhirContext, IFhirSystemDao<Bundle, ?> systemDao) {
		this.fhirContext = fhirContext;
		this.systemDao = systemDao;
	}

	/** Loads the lines in order; returns how many resources were stored. */
	public int load(List<String> ndjsonLines) {
		var parser = fhirContext.newJsonParser();
		for (int from = 0; from < ndjsonLines.size(); from += BATCH) {
			Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
			for (String line : ndjsonLines.subList(from, Math.min(from + BATCH, ndjsonLines.size()))) {
				Resource resource = (Resource) parser.parseResource(line);
				String reference = resource.fhirType() + "/" + resource.getIdElement().getIdPart();
				bundle.addEntry().setResource(resource).setFullUrl(reference).getRequest()
						.setMethod(Bundle.HTTPVerb.PUT).setUrl(reference);
			}
			systemDao.transaction(new SystemRequestDetails(), bundle);
		}
		return ndjsonLines.size();
	}
}
