package hapibulk.config;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.batch2.jobs.imprt.BulkDataImportProvider;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.method.BaseMethodBinding;
import hapibulk.export.BulkExportProvider;
import hapibulk.status.BulkStatusProvider;
import hapibulk.testsupport.TestHapiServerConfig;
import jakarta.servlet.ServletException;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockServletConfig;
import org.springframework.mock.web.MockServletContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When and how the extension gets onto the host's RestfulServers: before anything serves, past
 * HAPI's own bulk operations, and never with a stale CapabilityStatement.
 */
class BulkServerRegistrarTest {

	private static final List<String> HAPI_BULK_OPERATIONS =
			List.of("export-poll-status", "import-poll-status");

	@TempDir
	Path files;

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.auth.mode=none",
						"hapi.bulk.file-directory=" + files);
	}

	@Test
	void registration_isDoneBeforeAnyLifecycleStarts_soBeforeTheEmbeddedWebServerServes() {
		// given: a SmartLifecycle stands for Boot's embedded web server, which starts servlets and connectors
		runner().withUserConfiguration(WebServerStandIn.class).run(context -> {
			assertThat(context).hasNotFailed();
			// then: when it started, the server already had our providers and (mode none) our capability hook
			assertThat(context.getBean(WebServerStandIn.class).providersAtStart)
					.hasAtLeastOneElementOfType(BulkExportProvider.class)
					.hasAtLeastOneElementOfType(BulkStatusProvider.class);
		});
	}

	@Test
	void restfulServerCreatedLate_answers503UntilRegistered_thenServesOurOperations() {
		runner().withUserConfiguration(LazyServer.class).run(context -> {
			assertThat(context).hasNotFailed();
			// given: a server bean created after start-up, started as a servlet
			RestfulServer server = (RestfulServer) context.getBean("lateServer");
			start(server);

			// when
			MockHttpServletResponse first = get(server, "metadata");
			MockHttpServletResponse second = get(server, "metadata");

			// then: the first is refused while the rules go on, the next one is served with them
			assertThat(first.getStatus()).isEqualTo(503);
			assertThat(first.getHeader("Retry-After")).isEqualTo("1");
			assertThat(first.getContentAsString()).contains("OperationOutcome").contains("BULK-0501");
			assertThat(second.getStatus()).isEqualTo(200);
			assertThat(operationNames(server, second)).contains("bulk-status");
		});
	}

	@Test
	void hapisBulkProviders_onAServerThatStartsAfterRegistration_areNeverBound() {
		runner().withUserConfiguration(HapiBulkRegistered.class).run(context -> {
			assertThat(context).hasNotFailed();
			// given: HAPI's export and import providers were on the server bean; it starts as a servlet
			RestfulServer server = context.getBean(RestfulServer.class);
			start(server);

			// when
			MockHttpServletResponse exportPoll = get(server, "$export-poll-status?_jobId=abc");
			MockHttpServletResponse importPoll = get(server, "$import-poll-status?_jobId=abc");
			MockHttpServletResponse metadata = get(server, "metadata");

			// then
			assertThat(hapiBulkBindings(server)).isEmpty();
			assertPointsToOurs(exportPoll, "$export-poll-status");
			assertPointsToOurs(importPoll, "$import-poll-status");
			assertThat(operationNames(server, metadata)).contains("bulk-status", "bulk-file")
					.doesNotContainAnyElementsOf(HAPI_BULK_OPERATIONS);
			assertThat(definitions(server, metadata)).noneMatch(definition -> definition.endsWith("/null"));
		});
	}

	@Test
	void registrationOnAStartedServer_removesHapisBoundOperations_andRenewsTheCachedCapabilityStatement() {
		runner().run(context -> {
			assertThat(context).hasNotFailed();
			// given: a server its host created and started itself, with HAPI's bulk providers; its
			// CapabilityStatement is already cached
			RestfulServer server = new RestfulServer(context.getBean(FhirContext.class));
			server.registerProviders(context.getBean(BulkDataExportProvider.class),
					context.getBean(BulkDataImportProvider.class));
			start(server);
			assertThat(operationNames(server, get(server, "metadata"))).contains("export-poll-status");

			// when: the host hands it to the registrar late
			context.getBean(BulkServerRegistrar.class).register(server);

			// then
			assertThat(hapiBulkBindings(server)).isEmpty();
			assertPointsToOurs(get(server, "$export-poll-status?_jobId=abc"), "$export-poll-status");
			MockHttpServletResponse metadata = get(server, "metadata");
			assertThat(operationNames(server, metadata)).contains("bulk-status", "bulk-file")
					.doesNotContainAnyElementsOf(HAPI_BULK_OPERATIONS);
			assertThat(definitions(server, metadata)).noneMatch(definition -> definition.endsWith("/null"));
		});
	}

	private static void assertPointsToOurs(MockHttpServletResponse response, String operation) throws IOException {
		assertThat(response.getStatus()).isEqualTo(404);
		assertThat(response.getContentAsString())
				.contains("OperationOutcome", "BULK-0502", operation, "$bulk-status")
				.doesNotContain("HAPI-2040");
	}

	private static List<BaseMethodBinding> hapiBulkBindings(RestfulServer server) {
		return Stream.concat(server.getServerBindings().stream(),
						server.getResourceBindings().stream().flatMap(binding -> binding.getMethodBindings().stream()))
				.filter(binding -> binding.getProvider() instanceof BulkDataExportProvider
						|| binding.getProvider() instanceof BulkDataImportProvider)
				.toList();
	}

	private static List<String> operationNames(RestfulServer server, MockHttpServletResponse metadata)
			throws IOException {
		return operations(server, metadata).map(CapabilityStatement.CapabilityStatementRestResourceOperationComponent::getName)
				.toList();
	}

	private static List<String> definitions(RestfulServer server, MockHttpServletResponse metadata) throws IOException {
		return operations(server, metadata)
				.map(CapabilityStatement.CapabilityStatementRestResourceOperationComponent::getDefinition).toList();
	}

	private static Stream<CapabilityStatement.CapabilityStatementRestResourceOperationComponent> operations(
			RestfulServer server, MockHttpServletResponse metadata) throws IOException {
		assertThat(metadata.getStatus()).as(metadata.getContentAsString()).isEqualTo(200);
		CapabilityStatement statement = server.getFhirContext().newJsonParser()
				.parseResource(CapabilityStatement.class, metadata.getContentAsString());
		return statement.getRest().stream().flatMap(rest -> Stream.concat(rest.getOperation().stream(),
				rest.getResource().stream().flatMap(resource -> resource.getOperation().stream())));
	}

	static void start(RestfulServer server) throws ServletException {
		server.init(new MockServletConfig(new MockServletContext(), "fhir"));
	}

	static MockHttpServletResponse get(RestfulServer server, String pathAndQuery) throws Exception {
		String path = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
		String query = pathAndQuery.contains("?") ? pathAndQuery.substring(pathAndQuery.indexOf('?') + 1) : null;
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/fhir/" + path);
		request.setServletPath("/fhir");
		request.setPathInfo("/" + path);
		request.setQueryString(query);
		if (query != null) {
			for (String pair : query.split("&")) {
				String[] nameValue = pair.split("=", 2);
				request.addParameter(nameValue[0], nameValue.length > 1 ? nameValue[1] : "");
			}
		}
		request.addHeader("Accept", "application/fhir+json");
		MockHttpServletResponse response = new MockHttpServletResponse();
		server.service(request, response);
		return response;
	}

	/** Records what the RestfulServer held when the lifecycle phase (the web server's start) began. */
	@Configuration(proxyBeanMethods = false)
	static class WebServerStandIn implements SmartLifecycle {

		private final RestfulServer server;
		final List<Object> providersAtStart = new ArrayList<>();
		private volatile boolean running;

		WebServerStandIn(RestfulServer server) {
			this.server = server;
		}

		@Override
		public void start() {
			providersAtStart.addAll(server.getPlainProviders());
			running = true;
		}

		@Override
		public void stop() {
			running = false;
		}

		@Override
		public boolean isRunning() {
			return running;
		}
	}

	/** Prototype: created on demand, after start-up (a lazy singleton is created by the registrar's sweep). */
	@Configuration(proxyBeanMethods = false)
	static class LazyServer {
		@Bean
		@Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
		RestfulServer lateServer(FhirContext fhirContext) {
			return new RestfulServer(fhirContext);
		}
	}

	/** A host that turned on HAPI's own bulk operations (hapi.fhir.bulk_export_enabled / bulk_import_enabled). */
	@Configuration(proxyBeanMethods = false)
	static class HapiBulkRegistered {
		@Bean
		Object hapiBulkOnServer(RestfulServer restfulServer, BulkDataExportProvider export,
				BulkDataImportProvider imports) {
			restfulServer.registerProviders(export, imports);
			return new Object();
		}
	}
}
