package hapibulk.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the extension brings into a host's build (its compile and runtime dependencies, listed by
 * maven-dependency-plugin at generate-test-resources): only what a HAPI server does not have.
 * The host's Spring, Spring Boot, HAPI, Hibernate and Jackson are its own: a compile-scope
 * spring-boot of ours once replaced the host's beside its spring-boot-autoconfigure, and the host
 * did not start. Optional dependencies (the cluster mode's Spring Batch Integration and RabbitMQ client)
 * do not reach a host at all: a host that runs the cluster adds them itself.
 */
class HostFrameworksTest {

	/**
	 * Spring Batch (and its retry library), Nimbus JOSE+JWT, Micrometer, which Spring Batch needs, and the
	 * AWS SDK's S3 client (with Reactive Streams, its one outside dependency) for {@code hapi.bulk.storage.type=s3}.
	 */
	private static final Set<String> BROUGHT_GROUPS = Set.of("org.springframework.batch", "org.springframework.retry",
			"com.nimbusds", "io.micrometer", "org.hdrhistogram", "org.latencyutils", "software.amazon.awssdk",
			"org.reactivestreams");
	/**
	 * Reached only through the optional cluster dependencies (Spring Integration's reactor-core), which Maven lists
	 * without the optional mark (depending on what else the build resolves); they never reach a host through us.
	 */
	private static final Set<String> UNDER_OPTIONAL_ONLY = Set.of("io.projectreactor", "org.slf4j");

	@Test
	void runtimeDependencies_areOnlyWhatAHostLacks() throws IOException {
		// given
		Path list = Path.of("target", "runtime-dependencies.txt");

		// when
		List<String> groups = Files.readAllLines(list).stream()
				.map(String::strip)
				.filter(line -> line.matches("[\\w.-]+:[\\w.-]+:.*:(compile|runtime).*"))
				.filter(line -> !line.contains("(optional)"))
				.map(line -> line.substring(0, line.indexOf(':')))
				.filter(group -> !UNDER_OPTIONAL_ONLY.contains(group))
				.toList();

		// then
		assertThat(groups).contains("org.springframework.batch", "com.nimbusds");
		assertThat(groups).allSatisfy(group -> assertThat(BROUGHT_GROUPS).as(group).contains(group));
	}

	@Test
	void clusterDependencies_areOptional_soThatNoHostGetsThemUnasked() throws IOException {
		// given
		Path list = Path.of("target", "runtime-dependencies.txt");

		// when
		List<String> cluster = Files.readAllLines(list).stream()
				.map(String::strip)
				.filter(line -> line.startsWith("org.springframework.batch:spring-batch-integration:")
						|| line.startsWith("org.springframework.amqp:") || line.startsWith("com.rabbitmq:"))
				.toList();

		// then
		assertThat(cluster).hasSizeGreaterThanOrEqualTo(3).allSatisfy(line -> assertThat(line).contains("(optional)"));
	}
}
