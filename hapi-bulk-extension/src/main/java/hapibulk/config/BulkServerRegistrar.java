package hapibulk.config;

import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.support.ServerBaseUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.util.ClassUtils;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Puts our providers and interceptors on the host's {@link RestfulServer}: every RestfulServer bean when the context
 * is refreshed, or any server a host hands to {@link #register} (a RestfulServer the servlet
 * container created, not Spring). HAPI's own bulk providers, if registered, are taken off first.
 */
public class BulkServerRegistrar implements ApplicationListener<ContextRefreshedEvent> {

	private static final Logger LOG = LoggerFactory.getLogger(BulkServerRegistrar.class);

	/** By name: hapi-fhir-storage-batch2-jobs need not be on the classpath. */
	private static final Set<String> HAPI_BULK_PROVIDERS = Set.of(
			"ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider",
			"ca.uhn.fhir.batch2.jobs.imprt.BulkDataImportProvider");

	private final List<Object> providers;
	private final List<Object> interceptors;
	private final ServerBaseUrl baseUrl;
	private final Set<RestfulServer> registered = Collections.newSetFromMap(new IdentityHashMap<>());

	public BulkServerRegistrar(List<Object> providers, List<Object> interceptors) {
		this(providers, interceptors, ServerBaseUrl.fromRequests());
	}

	public BulkServerRegistrar(List<Object> providers, List<Object> interceptors, ServerBaseUrl baseUrl) {
		this.providers = List.copyOf(providers);
		this.interceptors = List.copyOf(interceptors);
		this.baseUrl = baseUrl;
	}

	@Override
	public void onApplicationEvent(ContextRefreshedEvent event) {
		event.getApplicationContext().getBeansOfType(RestfulServer.class, false, false).values().forEach(this::register);
	}

	public synchronized void register(RestfulServer server) {
		if (!registered.add(server)) {
			return;
		}
		List<Object> hapiProviders = server.getPlainProviders().stream()
				.filter(p -> HAPI_BULK_PROVIDERS.contains(ClassUtils.getUserClass(p).getName()))
				.toList();
		if (!hapiProviders.isEmpty()) {
			server.unregisterProviders(hapiProviders);
			LOG.warn("hapi-bulk replaced HAPI's own bulk data providers {} on this server; set "
					+ "hapi.fhir.bulk_export_enabled=false and hapi.fhir.bulk_import_enabled=false to silence this",
					hapiProviders.stream().map(p -> ClassUtils.getUserClass(p).getSimpleName()).toList());
		}
		server.registerProviders(providers);
		interceptors.forEach(server::registerInterceptor);
		baseUrl.applyTo(server);
	}
}
