package hapibulk.config;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.support.BulkErrors;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.config.BeanPostProcessor;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Closes every {@link RestfulServer} bean of the context the moment it is created: until our
 * providers and authorization interceptors are on it, it answers every request 503 with
 * {@code Retry-After}, so that no request is ever served without the auth rules.
 * <p>
 * The registrar registers every server before the web server starts (it is a
 * {@code SmartInitializingSingleton}), so in java -jar, Tomcat and plain Spring hosts the gate is
 * normally open before the first request. It matters where a host serves earlier (a server started
 * from a bean's init method) or creates RestfulServer beans later: the first request then also
 * triggers the registration.
 */
public class RestfulServerStartupGate implements BeanPostProcessor {

	private volatile Consumer<RestfulServer> registrar;

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		if (bean instanceof RestfulServer server
				&& server.getInterceptorService().getAllRegisteredInterceptors().stream()
						.noneMatch(Gate.class::isInstance)) {
			server.registerInterceptor(new Gate(this, server));
		}
		return bean;
	}

	/** The registrar is ready: closed servers that see a request from now on get registered. */
	void registrarReady(Consumer<RestfulServer> registrar) {
		this.registrar = registrar;
	}

	/** Our rules are on this server: lets its requests through. */
	static void open(RestfulServer server) {
		server.getInterceptorService().getAllRegisteredInterceptors().stream()
				.filter(Gate.class::isInstance)
				.forEach(gate -> ((Gate) gate).open = true);
	}

	/**
	 * Earliest of all hooks: nothing of the host or of ours runs for a request it refuses. Not
	 * Integer.MIN_VALUE: HAPI 8.8 orders hooks by subtracting their orders, which overflows against any
	 * positive order and put the gate after the host's hooks (fixed in HAPI 8.10, docs/compatibility.md).
	 */
	@Interceptor(order = Gate.ORDER)
	static final class Gate {

		/** First against any hook ordered above -2^30 and up to 2^30, with HAPI 8.8's comparison too. */
		static final int ORDER = Integer.MIN_VALUE / 2;

		private final RestfulServerStartupGate owner;
		private final RestfulServer server;
		private volatile boolean open;

		private Gate(RestfulServerStartupGate owner, RestfulServer server) {
			this.owner = owner;
			this.server = server;
		}

		@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
		public boolean admit(HttpServletResponse response) throws IOException {
			if (open) {
				return true;
			}
			Consumer<RestfulServer> registrar = owner.registrar;
			if (registrar != null) {
				// A server bean created after the registrar's sweep (a prototype): register it now. This
				// request is still refused: its hooks were chosen before the rules were there.
				registrar.accept(server);
			}
			response.setHeader("Retry-After", "1");
			PlainOutcomeResponse.write(response, server.getFhirContext(), 503, "transient",
					BulkErrors.code(501) + "The server is starting; retry in a moment");
			return false;
		}
	}
}
