package hapibulk.server;

import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.r4b.JpaR4BConfig;
import ca.uhn.fhir.jpa.config.r5.JpaR5Config;
import org.junit.jupiter.api.Test;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The starter's {@code hapi.fhir.fhir_version} picks HAPI's JPA configuration of that version (R5OverHttpsWarIT starts one). */
class FhirVersionJpaConfigTest {

	@Test
	void fhirVersion_picksTheVersionsJpaConfiguration_r4ByDefault() {
		assertThat(selected(null)).containsExactly(JpaR4Config.class.getName());
		assertThat(selected("R4")).containsExactly(JpaR4Config.class.getName());
		assertThat(selected("r4b")).containsExactly(JpaR4BConfig.class.getName());
		assertThat(selected(" R5 ")).containsExactly(JpaR5Config.class.getName());
		assertThatThrownBy(() -> selected("R6")).hasMessageContaining("hapi.fhir.fhir_version=R6")
				.hasMessageContaining("R4 (the default), R4B or R5");
	}

	private static String[] selected(String version) {
		MockEnvironment environment = new MockEnvironment();
		if (version != null) {
			environment.setProperty(FhirVersionJpaConfig.PROPERTY, version);
		}
		FhirVersionJpaConfig selector = new FhirVersionJpaConfig();
		selector.setEnvironment(environment);
		return selector.selectImports(AnnotationMetadata.introspect(HapiBulkServerApplication.class));
	}
}
