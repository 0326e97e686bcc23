package hapibulk.config;

import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BulkDefaultsEnvironmentPostProcessorTest {

	private final BulkDefaultsEnvironmentPostProcessor postProcessor = new BulkDefaultsEnvironmentPostProcessor();

	@Test
	void enabled_turnsOffBootsJobRunnerAndSchemaScripts_atLowestPrecedence() {
		StandardEnvironment environment = environment(Map.of("hapi.bulk.enabled", "true",
				"spring.batch.jdbc.initialize-schema", "always"));

		postProcessor.postProcessEnvironment(environment, null);

		assertThat(environment.getProperty("spring.batch.job.enabled")).isEqualTo("false");
		// the host's own setting wins
		assertThat(environment.getProperty("spring.batch.jdbc.initialize-schema")).isEqualTo("always");
	}

	@Test
	void disabled_changesNothing() {
		StandardEnvironment environment = environment(Map.of());

		postProcessor.postProcessEnvironment(environment, null);

		assertThat(environment.getPropertySources().contains(BulkDefaultsEnvironmentPostProcessor.SOURCE_NAME)).isFalse();
		assertThat(environment.getProperty("spring.batch.job.enabled")).isNull();
	}

	private static StandardEnvironment environment(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("host", properties));
		return environment;
	}
}
