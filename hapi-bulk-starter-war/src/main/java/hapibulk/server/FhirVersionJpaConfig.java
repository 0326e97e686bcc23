package hapibulk.server;

import ca.uhn.fhir.jpa.config.dstu3.JpaDstu3Config;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.r4b.JpaR4BConfig;
import ca.uhn.fhir.jpa.config.r5.JpaR5Config;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportSelector;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

import java.util.Locale;

/**
 * HAPI's JPA configuration of the FHIR version the starter's {@code hapi.fhir.fhir_version} names (R4 by
 * default, as in hapi-fhir-jpaserver-starter): the version's FhirContext, DAOs, resource providers and search
 * parameters. DSTU3 is passed on as asked, so that the extension's own check refuses it with BULK-0560 (the
 * extension serves R4, R4B and R5); anything else is not a FHIR version this sample knows.
 */
public class FhirVersionJpaConfig implements ImportSelector, EnvironmentAware {

	static final String PROPERTY = "hapi.fhir.fhir_version";

	private Environment environment;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public String[] selectImports(AnnotationMetadata importingClass) {
		return new String[] {configFor(environment.getProperty(PROPERTY, "R4")).getName()};
	}

	static Class<?> configFor(String version) {
		return switch (version.strip().toUpperCase(Locale.ROOT)) {
			case "R4" -> JpaR4Config.class;
			case "R4B" -> JpaR4BConfig.class;
			case "R5" -> JpaR5Config.class;
			case "DSTU3" -> JpaDstu3Config.class;
			default -> throw new IllegalStateException(PROPERTY + "=" + version + " is not a FHIR version of this"
					+ " server: use R4 (the default), R4B or R5");
		};
	}
}
