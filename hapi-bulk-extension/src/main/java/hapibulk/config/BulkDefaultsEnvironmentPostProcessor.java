package hapibulk.config;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * Defaults a Boot host needs once the extension is on, at the lowest precedence so that the host
 * can still override them: Boot must not run our jobs at start-up (it refuses to start with two
 * Job beans), and our schema initializer, not Boot's, creates the Spring Batch tables.
 */
public class BulkDefaultsEnvironmentPostProcessor implements EnvironmentPostProcessor {

	static final String SOURCE_NAME = "hapiBulkDefaults";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!environment.getProperty(BulkProperties.PREFIX + ".enabled", Boolean.class, false)) {
			return;
		}
		environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, Map.of(
				"spring.batch.job.enabled", "false",
				"spring.batch.jdbc.initialize-schema", "never")));
	}
}
