package hapibulk.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One sample WAR (auth mode none) that several ITs share, so that CI pays its start (about 40 s on two cores) once.
 * Its settings are what those ITs need together: no {@code Retry-After} throttle and room for many exports (the
 * fuzz), and Patient and Group exports kept to their compartment (the CapabilityStatement's marks). It starts on
 * first use and stops when the test run ends (JUnit's root store closes it). An IT gets it with
 * {@code @ExtendWith(SharedPlainWar.class)} and a {@link WarProcess} parameter.
 */
final class SharedPlainWar implements ParameterResolver {

	@Override
	public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
		return parameter.getParameter().getType() == WarProcess.class;
	}

	/** The shared server, started now if no IT of this run started it yet. */
	@Override
	public WarProcess resolveParameter(ParameterContext parameter, ExtensionContext context) {
		return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
				.getOrComputeIfAbsent(Started.class, key -> Started.start(), Started.class).server;
	}

	/** The server and its database, closed by JUnit when the run ends. */
	private record Started(WarProcess server, ItDatabase database) implements ExtensionContext.Store.CloseableResource {
		static Started start() {
			try {
				Path workDir = Files.createTempDirectory(Path.of("target"), "shared-war-");
				ItDatabase database = ItDatabase.fresh(workDir);
				return new Started(WarProcess.start(workDir, WarProcess.freePort(), database,
						"--hapi.bulk.retry-after=0s", "--hapi.bulk.export.max-running-exports=1000",
						"--hapi.bulk.export.include-referenced-resources=false"), database);
			} catch (Exception e) {
				throw new IllegalStateException("The shared sample WAR did not start", e);
			}
		}

		@Override
		public void close() throws Throwable {
			server.close();
			database.drop().run();
		}
	}
}
