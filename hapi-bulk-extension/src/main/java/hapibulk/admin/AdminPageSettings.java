package hapibulk.admin;

import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code hapi.bulk.admin-page.*}: the operators' job page.
 *
 * @param enabled  whether a Spring Boot host serves the operators' job page (off by default: it is one more entry
 *                 point)
 * @param path     where the job page is served, under the host's context path
 * @param fhirPath where the host's FHIR server is, under the same context path; the page calls $bulk-jobs there, on
 *                 its own origin
 */
public record AdminPageSettings(
		@DefaultValue("false") boolean enabled,
		@DefaultValue("/bulk-admin") String path,
		@DefaultValue("/fhir") String fhirPath) {}
