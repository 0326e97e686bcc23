package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.HookParams;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up gate runs before the host's own hooks, whatever their order, on HAPI's real interceptor service. */
class RestfulServerStartupGateTest {

	@Test
	void aClosedServer_refusesARequestBeforeAnyHostHookRuns_evenOnesOrderedFarAhead() {
		// given: a server with host hooks of small and large positive orders (HAPI's own reach 100 to 300)
		RestfulServer server = new RestfulServer(FhirContext.forR4Cached());
		List<String> ran = new ArrayList<>();
		server.registerInterceptor(new HostHook(ran));
		server.registerInterceptor(new FarHostHook(ran));
		new RestfulServerStartupGate().postProcessBeforeInitialization(server, "fhirServlet");

		// when: a request arrives before our providers and rules are on the server
		MockHttpServletResponse response = new MockHttpServletResponse();
		boolean proceed = server.getInterceptorService().callHooks(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED,
				new HookParams().add(HttpServletRequest.class, new MockHttpServletRequest("GET", "/fhir/Patient"))
						.add(HttpServletResponse.class, response));

		// then: refused by the gate, and no host hook saw it (on HAPI 8.8 an order of Integer.MIN_VALUE sorted the
		// gate after both: HAPI compared orders by subtraction, which overflowed)
		assertThat(proceed).isFalse();
		assertThat(response.getStatus()).isEqualTo(503);
		assertThat(response.getHeader("Retry-After")).isEqualTo("1");
		assertThat(ran).isEmpty();
	}

	@Test
	void anOpenedServer_letsTheRequestOnToTheHostHooks() {
		// given
		RestfulServer server = new RestfulServer(FhirContext.forR4Cached());
		List<String> ran = new ArrayList<>();
		server.registerInterceptor(new HostHook(ran));
		new RestfulServerStartupGate().postProcessBeforeInitialization(server, "fhirServlet");
		RestfulServerStartupGate.open(server);

		// when
		boolean proceed = server.getInterceptorService().callHooks(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED,
				new HookParams().add(HttpServletRequest.class, new MockHttpServletRequest("GET", "/fhir/Patient"))
						.add(HttpServletResponse.class, new MockHttpServletResponse()));

		// then
		assertThat(proceed).isTrue();
		assertThat(ran).containsExactly("host");
	}

	@Interceptor(order = 100)
	public static class HostHook {
		private final List<String> ran;

		HostHook(List<String> ran) {
			this.ran = ran;
		}

		@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
		public boolean preProcessed() {
			ran.add("host");
			return true;
		}
	}

	@Interceptor(order = 1_000_000)
	public static class FarHostHook {
		private final List<String> ran;

		FarHostHook(List<String> ran) {
			this.ran = ran;
		}

		@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
		public boolean preProcessed() {
			ran.add("far host");
			return true;
		}
	}
}
