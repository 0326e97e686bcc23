package hapibulk.config;

import ca.uhn.fhir.util.VersionUtil;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The extension says at start-up whether the HAPI it runs in is the line it is tested on. */
@ExtendWith(OutputCaptureExtension.class)
class HapiVersionCheckTest {

	@TempDir
	Path files;

	@ParameterizedTest
	@ValueSource(strings = {"8.8.0", "8.8.2", "8.8.1-SNAPSHOT", " 8.8.0 "})
	void theTestedLine_isLoggedAtInfo(String version, CapturedOutput output) {
		// when
		HapiVersionCheck.Outcome outcome = HapiVersionCheck.logAtStartup(() -> version);

		// then
		assertThat(outcome.tested()).isTrue();
		assertThat(output.getOut()).contains("INFO").contains("hapi-bulk runs in HAPI FHIR " + version.trim()
				+ ", the line it is tested on (8.8.x)").doesNotContain("WARN").doesNotContain("BULK-057");
	}

	@ParameterizedTest
	@ValueSource(strings = {"8.10.0", "8.12.1", "8.6.5", "9.0.0", "8.80.0", "8.14.0-SNAPSHOT"})
	void anotherLine_isAWarnNamingTheCompatibilityPage(String version, CapturedOutput output) {
		// when
		HapiVersionCheck.Outcome outcome = HapiVersionCheck.logAtStartup(() -> version);

		// then
		assertThat(outcome.tested()).isFalse();
		assertThat(output.getOut()).contains("WARN").contains("BULK-0570")
				.contains("HAPI FHIR " + version + ", a line it is not tested on (tested: 8.8.x)")
				.contains("docs/compatibility.md");
	}

	@Test
	void aVersionHapiDoesNotReport_isAWarnToo_andStartUpGoesOn(CapturedOutput output) {
		// when: no version, a version that is no version, and a HAPI whose build properties are missing
		HapiVersionCheck.Outcome none = HapiVersionCheck.logAtStartup(() -> null);
		HapiVersionCheck.Outcome garbled = HapiVersionCheck.logAtStartup(() -> "${project.version}");
		HapiVersionCheck.Outcome failing = HapiVersionCheck.logAtStartup(() -> {
			throw new IllegalStateException("no hapi-fhir-base-build.properties");
		});

		// then
		assertThat(none.tested()).isFalse();
		assertThat(garbled.tested()).isFalse();
		assertThat(failing.tested()).isFalse();
		assertThat(output.getOut()).contains("BULK-0571").contains("(HAPI reports '${project.version}')")
				.contains("docs/compatibility.md");
	}

	@Test
	void theHapiOfThisBuild_isTheTestedLine() {
		// A hapi.version bump in the POM must come with a new TESTED_LINE (and a look at docs/compatibility.md).
		assertThat(HapiVersionCheck.of(VersionUtil.getVersion()).tested())
				.as("HAPI %s on the build's classpath, tested line %s", VersionUtil.getVersion(), HapiVersionCheck.TESTED_LINE)
				.isTrue();
	}

	@Test
	void theExtensionLogsTheVersion_whenItStartsInAHapiHost(CapturedOutput output) {
		// given: a HAPI JPA host (the build's HAPI, 8.8) with the extension on
		new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class)
				.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
				.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files,
						"hapi.bulk.server-base-url=http://localhost/fhir")
				// when
				.run(context -> {
					// then
					assertThat(context).hasNotFailed();
					assertThat(output.getOut()).contains("hapi-bulk runs in HAPI FHIR " + VersionUtil.getVersion()
							+ ", the line it is tested on (8.8.x)").doesNotContain("BULK-0570");
				});
	}
}
