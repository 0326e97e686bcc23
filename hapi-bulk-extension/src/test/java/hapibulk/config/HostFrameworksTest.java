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
 * did not start.
 */
class HostFrameworksTest {

	/**
	 * Spring Batch (and its retry library), Nimbus JOSE+JWT, Micrometer, which Spring Batch needs, and the
	 * AWS SDK's S3 client (with Reactive Streams, its one outside dependency) for {@code hapi.bulk.storage.type=s3}.
	 */
	private static final Set<String> BROUGHT_GROUPS = Set.of("org.springframework.batch", "org.springframework.retry",
			"com.nimbusds", "io.micrometer", "org.hdrhistogram", "org.latencyutils", "software.amazon.awssdk",
			"org.reactivestreams");

	@Test
	void runtimeDependencies_areOnlyWhatAHostLacks() throws IOException {
		// given
		Path list = Path.of("target", "runtime-dependencies.txt");

		// when
		List<String> groups = Files.readAllLines(list).stream()
				.map(String::strip)
				.filter(line -> line.matches("[\\w.-]+:[\\w.-]+:.*:(compile|runtime).*"))
				.map(line -> line.substring(0, line.indexOf(':')))
				.toList();

		// then
		assertThat(groups).contains("org.springframework.batch", "com.nimbusds");
		assertThat(groups).allSatisfy(group -> assertThat(BROUGHT_GROUPS).as(group).contains(group));
	}
}
