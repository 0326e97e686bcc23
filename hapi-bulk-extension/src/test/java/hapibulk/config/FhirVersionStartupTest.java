package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host of a FHIR version the extension does not serve stops at start-up with BULK-0560, before any other bean of
 * the extension is made (nothing else of a host is needed to see it: the version's bean comes first).
 */
class FhirVersionStartupTest {

	@TempDir
	Path files;

	@Test
	void dstu3AndDstu2Hosts_stopAtStartUp_withBulk0560() {
		for (FhirContext fhirContext : new FhirContext[] {FhirContext.forDstu3Cached(), FhirContext.forDstu2Hl7OrgCached()}) {
			new ApplicationContextRunner()
					.withBean(FhirContext.class, () -> fhirContext)
					.withConfiguration(AutoConfigurations.of(BulkAutoConfiguration.class))
					.withPropertyValues("hapi.bulk.enabled=true", "hapi.bulk.file-directory=" + files,
							"hapi.bulk.server-base-url=http://localhost/fhir")
					.run(context -> {
						assertThat(context).hasFailed();
						Throwable cause = context.getStartupFailure();
						while (cause.getCause() != null) {
							cause = cause.getCause();
						}
						assertThat(cause).hasMessageStartingWith("BULK-0560")
								.hasMessageContaining(fhirContext.getVersion().getVersion().name());
					});
		}
	}
}
