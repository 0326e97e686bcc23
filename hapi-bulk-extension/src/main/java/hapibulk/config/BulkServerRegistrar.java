package hapibulk.config;

import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.method.ConformanceMethodBinding;
import hapibulk.support.ServerBaseUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.util.ClassUtils;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Puts our providers and interceptors on the host's {@link RestfulServer}s, and takes HAPI's own
 * Bulk Data operations off them ({@link HapiBulkBindings}).
 * <p>
 * Every RestfulServer bean is registered once all singletons exist
 * ({@link SmartInitializingSingleton}): after the servers' beans are built and before any servlet
 * is initialized or any request served, in java -jar (embedded Tomcat starts at the end of the
 * refresh), a WAR in Tomcat (servlets start after the context) and plain Spring hosts alike. A
 * server the servlet container created, not Spring, is handed to {@link #register} by its host,
 * from its {@code initialize()}. Until registered, a server bean answers 503
 * ({@link RestfulServerStartupGate}).
 */
public class BulkServerRegistrar implements SmartInitializingSingleton {

	private static final Logger LOG = LoggerFactory.getLogger(BulkServerRegistrar.class);

	private final List<Object> providers;
	private final List<Object> interceptors;
	private final ListableBeanFactory beanFactory;
	private final RestfulServerStartupGate gate;
	private final ServerBaseUrl baseUrl;
	private final Set<RestfulServer> registered = Collections.newSetFromMap(new IdentityHashMap<>());

	public BulkServerRegistrar(List<Object> providers, List<Object> interceptors, ListableBeanFactory beanFactory,
			RestfulServerStartupGate gate, ServerBaseUrl baseUrl) {
		this.providers = List.copyOf(providers);
		this.interceptors = List.copyOf(interceptors);
		this.beanFactory = beanFactory;
		this.gate = gate;
		this.baseUrl = baseUrl;
	}

	@Override
	public void afterSingletonsInstantiated() {
		gate.registrarReady(this::register);
		beanFactory.getBeansOfType(RestfulServer.class, false, false).values().forEach(this::register);
	}

	public synchronized void register(RestfulServer server) {
		if (!registered.add(server)) {
			return;
		}
		HapiBulkBindings hapiBindings = new HapiBulkBindings(providers, server.getFhirContext());
		server.registerInterceptor(hapiBindings);
		List<Object> hapiProviders = HapiBulkBindings.hapiProviders(server);
		if (!hapiProviders.isEmpty()) {
			server.unregisterProviders(hapiProviders);
			LOG.warn("hapi-bulk replaced HAPI's own bulk data providers {} on this server; set "
					+ "hapi.fhir.bulk_export_enabled=false and hapi.fhir.bulk_import_enabled=false to silence this",
					hapiProviders.stream().map(p -> ClassUtils.getUserClass(p).getSimpleName()).toList());
		}
		int removedBindings = hapiBindings.removeBound(server);
		server.registerProviders(providers);
		interceptors.forEach(server::registerInterceptor);
		baseUrl.applyTo(server);
		if (isStarted(server)) {
			LOG.info("hapi-bulk registered on a started server{}; its CapabilityStatement is generated anew",
					removedBindings > 0 ? " (" + removedBindings + " bound bulk operations of HAPI removed)" : "");
			forgetCapabilityStatement(server);
		}
		RestfulServerStartupGate.open(server);
	}

	/** Providers registered on a started server are bound at once; before, HAPI binds them at its start. */
	private boolean isStarted(RestfulServer server) {
		return server.getServerBindings().stream().anyMatch(binding -> providers.contains(binding.getProvider()));
	}

	/**
	 * HAPI caches the CapabilityStatement in the binding of its conformance provider and serves a stale
	 * one while it refreshes: setting the provider again binds it anew, with an empty cache.
	 */
	private static void forgetCapabilityStatement(RestfulServer server) {
		Object conformanceProvider = server.getServerConformanceProvider();
		ConformanceMethodBinding binding = server.getServerConformanceMethod();
		if (conformanceProvider == null || binding == null) {
			return;
		}
		binding.close();
		server.setServerConformanceProvider(conformanceProvider);
	}
}
