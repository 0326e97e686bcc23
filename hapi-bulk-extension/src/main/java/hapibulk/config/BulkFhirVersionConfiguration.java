package hapibulk.config;

import ca.uhn.fhir.context.FhirContext;
import hapibulk.support.fhir.FhirVersionSupport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The host's FHIR version, first of everything the extension adds ({@link BulkConfiguration} imports it first, so
 * its bean is made first): a host of a version the extension does not serve (DSTU2, DSTU3) stops at start-up with
 * BULK-0560, before any other bean of ours could fail on the version in a less clear way.
 */
@Configuration(proxyBeanMethods = false)
public class BulkFhirVersionConfiguration {

	/** What differs between the FHIR versions (R4, R4B, R5), from the host's context; refuses any other version. */
	@Bean
	public FhirVersionSupport hapiBulkFhirVersion(FhirContext fhirContext) {
		return FhirVersionSupport.of(fhirContext);
	}
}
