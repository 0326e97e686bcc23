package hapibulk.config;

import hapibulk.admin.AdminPageServlet;
import hapibulk.tenant.Tenants;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The operators' job page in a Spring Boot host, only with {@code hapi.bulk.admin-page.enabled=true}. A plain
 * Spring host registers {@link AdminPageServlet} itself.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(ServletRegistrationBean.class)
@ConditionalOnProperty(prefix = BulkProperties.PREFIX + ".admin-page", name = "enabled", havingValue = "true")
public class BulkAdminPageConfiguration {

	@Bean
	public ServletRegistrationBean<AdminPageServlet> hapiBulkAdminPage(BulkProperties properties, Tenants tenants) {
		String path = properties.adminPage().path().replaceAll("/+$", "");
		// per tenant on a partitioned host (asked when a page loads: partitioning may be set after this bean)
		ServletRegistrationBean<AdminPageServlet> registration = new ServletRegistrationBean<>(
				new AdminPageServlet(properties.adminPage().fhirPath(), properties.auth().enabled(), tenants::enabled),
				path + "/*");
		registration.setName("hapiBulkAdminPage");
		return registration;
	}
}
