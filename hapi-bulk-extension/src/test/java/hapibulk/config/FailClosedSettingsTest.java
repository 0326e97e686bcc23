package hapibulk.config;

import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 25, point 4, before the context: a Boot host in mode smart (the default) without
 * {@code hapi.bulk.server-base-url} stops while its environment is prepared. The packaged WAR's refusal is
 * {@code SmartAuthIT#smartMode_withoutServerBaseUrl_theWarExitsNamingTheSetting_andNeverAnswers}.
 */
class FailClosedSettingsTest {

	private final FailClosedSettings check = new FailClosedSettings();

	@Test
	void smartMode_explicitOrByDefault_withoutServerBaseUrl_stopsTheStart_namingTheSetting() {
		for (Map<String, Object> settings : List.<Map<String, Object>>of(
				Map.of("hapi.bulk.enabled", "true"),
				Map.of("hapi.bulk.enabled", "true", "hapi.bulk.auth.mode", "smart", "hapi.bulk.server-base-url", " "),
				Map.of("hapi.bulk.enabled", "true", "hapi.bulk.auth.mode", "SMART"))) {
			assertThatThrownBy(() -> check.postProcessEnvironment(environment(settings), null)).as(settings.toString())
					.isInstanceOf(IllegalStateException.class)
					.hasMessageStartingWith("BULK-0360: hapi.bulk.auth.mode=smart needs hapi.bulk.server-base-url");
		}
	}

	@Test
	void withTheBaseUrl_inOtherModes_orWithTheExtensionOff_theStartGoesOn() {
		for (Map<String, Object> settings : List.<Map<String, Object>>of(
				Map.of("hapi.bulk.enabled", "true", "hapi.bulk.server-base-url", "https://fhir.example.org/fhir"),
				Map.of("hapi.bulk.enabled", "true", "hapi.bulk.auth.mode", "none"),
				Map.of("hapi.bulk.enabled", "true", "hapi.bulk.auth.mode", "external"),
				Map.of())) {
			assertThatCode(() -> check.postProcessEnvironment(environment(settings), null)).as(settings.toString())
					.doesNotThrowAnyException();
		}
	}

	@Test
	void theSettingFromAnEnvironmentVariable_counts() {
		StandardEnvironment environment = environment(Map.of("hapi.bulk.enabled", "true"));
		environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource("systemEnvironment",
				Map.of("HAPI_BULK_SERVER_BASE_URL", "https://fhir.example.org/fhir")));

		assertThatCode(() -> check.postProcessEnvironment(environment, null)).doesNotThrowAnyException();
	}

	private static StandardEnvironment environment(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("host", properties));
		return environment;
	}
}
