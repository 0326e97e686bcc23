package hapibulk.config;

import ca.uhn.fhir.rest.server.RestfulServer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Import;

/**
 * Spring Boot hosts (such as hapi-fhir-jpaserver-starter): one dependency and
 * {@code hapi.bulk.enabled=true}. Without the property nothing of the extension is created.
 */
@AutoConfiguration(afterName = {
		"org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
		"org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration"})
@ConditionalOnClass(RestfulServer.class)
@ConditionalOnProperty(prefix = BulkProperties.PREFIX, name = "enabled", havingValue = "true")
@Import({BulkConfiguration.class, BulkAdminPageConfiguration.class})
public class BulkAutoConfiguration {}
