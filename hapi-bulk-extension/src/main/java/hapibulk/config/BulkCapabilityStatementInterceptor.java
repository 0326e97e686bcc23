package hapibulk.config;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.support.fhir.FhirElements;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseConformance;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Declares in the CapabilityStatement that the server implements the Bulk Data IG's (in any FHIR version the
 * extension serves: the elements are named alike in R4, R4B and R5).
 */
@Interceptor
public class BulkCapabilityStatementInterceptor {

	public static final String BULK_DATA_CAPABILITY_STATEMENT =
			"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareBulkData(IBaseConformance capabilityStatement, RequestDetails request) {
		FhirElements fhir = FhirElements.of(capabilityStatement);
		if (!fhir.texts(capabilityStatement, "instantiates").contains(BULK_DATA_CAPABILITY_STATEMENT)) {
			fhir.add(capabilityStatement, "instantiates", BULK_DATA_CAPABILITY_STATEMENT);
		}
		if (request != null && request.getServer() instanceof RestfulServer server) {
			fhir.all(capabilityStatement, "rest").forEach(rest -> repairMissingDefinitions(fhir, rest, server));
		}
	}

	/**
	 * HAPI writes {@code .../OperationDefinition/null} for a binding registered while it generated the
	 * statement (it looks the binding up in a list it made before): put the id HAPI gives it now.
	 */
	private static void repairMissingDefinitions(FhirElements fhir, IBase rest, RestfulServer server) {
		String missing = "/OperationDefinition/null";
		List<IBase> broken = Stream.concat(fhir.all(rest, "operation").stream(),
						fhir.all(rest, "resource").stream().flatMap(resource -> fhir.all(resource, "operation").stream()))
				.filter(operation -> String.valueOf(fhir.text(operation, "definition")).endsWith(missing))
				.toList();
		if (broken.isEmpty()) {
			return;
		}
		Map<String, String> idByName = new HashMap<>();
		server.createConfiguration().provideBindings().getOperationBindingToId()
				.forEach((binding, id) -> idByName.putIfAbsent(binding.getName().substring(1), id));
		for (IBase operation : broken) {
			String id = idByName.get(fhir.text(operation, "name"));
			if (id != null) {
				String definition = fhir.text(operation, "definition");
				fhir.set(operation, "definition", definition.substring(0, definition.length() - "null".length()) + id);
			}
		}
	}
}
