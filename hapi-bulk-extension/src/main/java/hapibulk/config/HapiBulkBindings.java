package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.method.BaseMethodBinding;
import ca.uhn.fhir.rest.server.method.OperationMethodBinding;
import hapibulk.support.BulkErrors;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.util.ClassUtils;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Takes HAPI's own Bulk Data operations off a server, for ours to be the only ones: HAPI's
 * providers by class, and any other binding of the operations by name, whenever it is bound
 * ({@link Pointcut#SERVER_PROVIDER_METHOD_BOUND}). HAPI's poll operations, which we have no
 * counterpart of by that name, answer 404 with a pointer to ours.
 * <p>
 * Unregistering does not suffice on a started server: HAPI 8.8 leaves the system-level bindings of
 * an unregistered provider in place, so {@link #removeBound} removes those itself.
 */
@Interceptor
final class HapiBulkBindings {

	/** By name: hapi-fhir-storage-batch2-jobs need not be on the classpath. */
	static final Set<String> HAPI_BULK_PROVIDERS = Set.of(
			"ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider",
			"ca.uhn.fhir.batch2.jobs.imprt.BulkDataImportProvider");

	static final Set<String> BULK_OPERATIONS = Set.of("$export", "$export-poll-status", "$import", "$import-poll-status");

	private static final Set<String> POLL_OPERATIONS = Set.of("$export-poll-status", "$import-poll-status");

	private final Set<Object> ours = Collections.newSetFromMap(new IdentityHashMap<>());
	private final FhirContext fhirContext;

	HapiBulkBindings(List<Object> ourProviders, FhirContext fhirContext) {
		ours.addAll(ourProviders);
		this.fhirContext = fhirContext;
	}

	/** HAPI's bulk providers registered on the server (bound or waiting for its start). */
	static List<Object> hapiProviders(RestfulServer server) {
		return Stream.concat(server.getPlainProviders().stream(), server.getResourceProviders().stream())
				.filter(p -> HAPI_BULK_PROVIDERS.contains(ClassUtils.getUserClass(p).getName()))
				.map(Object.class::cast)
				.toList();
	}

	/** Removes the bulk operation bindings a started server holds that are not ours; returns how many. */
	int removeBound(RestfulServer server) {
		List<List<BaseMethodBinding>> bindingLists = new ArrayList<>();
		bindingLists.add(server.getServerBindings());
		server.getResourceBindings().forEach(binding -> bindingLists.add(binding.getMethodBindings()));
		int removed = 0;
		for (List<BaseMethodBinding> bindings : bindingLists) {
			List<BaseMethodBinding> foreign = bindings.stream().filter(this::isForeignBulkOperation).toList();
			bindings.removeAll(foreign);
			removed += foreign.size();
		}
		return removed;
	}

	/** Discards HAPI's (or anybody else's) bindings of the bulk operations as they are bound. */
	@Hook(Pointcut.SERVER_PROVIDER_METHOD_BOUND)
	public BaseMethodBinding discardForeignBulkOperation(BaseMethodBinding binding) {
		return isForeignBulkOperation(binding) ? null : binding;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
	public boolean pointToOurs(HttpServletRequest request, HttpServletResponse response) throws IOException {
		String path = request.getPathInfo();
		String operation = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
		if (!POLL_OPERATIONS.contains(operation)) {
			return true;
		}
		PlainOutcomeResponse.write(response, fhirContext, 404, "not-found", BulkErrors.code(502) + operation
				+ " is not served here: hapi-bulk serves Bulk Data. Poll the Content-Location URL that the"
				+ " $export or $import kick-off returned ($bulk-status).");
		return false;
	}

	private boolean isForeignBulkOperation(BaseMethodBinding binding) {
		return binding instanceof OperationMethodBinding operation
				&& BULK_OPERATIONS.contains(operation.getName())
				&& !ours.contains(binding.getProvider());
	}

}
