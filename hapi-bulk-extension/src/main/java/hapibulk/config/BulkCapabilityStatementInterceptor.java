package hapibulk.config;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Declares in the CapabilityStatement that the server implements the Bulk Data IG's. */
@Interceptor
public class BulkCapabilityStatementInterceptor {

	public static final String BULK_DATA_CAPABILITY_STATEMENT =
			"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void declareBulkData(IBaseConformance capabilityStatement, RequestDetails request) {
		if (capabilityStatement instanceof CapabilityStatement r4
				&& r4.getInstantiates().stream().noneMatch(c -> BULK_DATA_CAPABILITY_STATEMENT.equals(c.getValue()))) {
			r4.addInstantiates(BULK_DATA_CAPABILITY_STATEMENT);
		}
		if (capabilityStatement instanceof CapabilityStatement r4 && request != null
				&& request.getServer() instanceof RestfulServer server) {
			r4.getRest().forEach(rest -> repairMissingDefinitions(rest, server));
		}
	}

	/**
	 * HAPI writes {@code .../OperationDefinition/null} for a binding registered while it generated the
	 * statement (it looks the binding up in a list it made before): put the id HAPI gives it now.
	 */
	private static void repairMissingDefinitions(CapabilityStatement.CapabilityStatementRestComponent rest,
			RestfulServer server) {
		String missing = "/OperationDefinition/null";
		List<CapabilityStatement.CapabilityStatementRestResourceOperationComponent> broken = Stream.concat(
						rest.getOperation().stream(), rest.getResource().stream().flatMap(r -> r.getOperation().stream()))
				.filter(operation -> operation.hasDefinition() && operation.getDefinition().endsWith(missing))
				.toList();
		if (broken.isEmpty()) {
			return;
		}
		Map<String, String> idByName = new HashMap<>();
		server.createConfiguration().provideBindings().getOperationBindingToId()
				.forEach((binding, id) -> idByName.putIfAbsent(binding.getName().substring(1), id));
		for (CapabilityStatement.CapabilityStatementRestResourceOperationComponent operation : broken) {
			String id = idByName.get(operation.getName());
			if (id != null) {
				String definition = operation.getDefinition();
				operation.setDefinition(definition.substring(0, definition.length() - "null".length()) + id);
			}
		}
	}
}
