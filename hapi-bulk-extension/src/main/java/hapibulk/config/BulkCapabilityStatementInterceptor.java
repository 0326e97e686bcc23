package hapibulk.config;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;

/** Declares in the CapabilityStatement that the server implements the Bulk Data IG's. */
@Interceptor
public class BulkCapabilityStatementInterceptor {

	public static final String BULK_DATA_CAPABILITY_STATEMENT =
			"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareBulkData(IBaseConformance capabilityStatement) {
		if (capabilityStatement instanceof CapabilityStatement r4
				&& r4.getInstantiates().stream().noneMatch(c -> BULK_DATA_CAPABILITY_STATEMENT.equals(c.getValue()))) {
			r4.addInstantiates(BULK_DATA_CAPABILITY_STATEMENT);
		}
	}
}
