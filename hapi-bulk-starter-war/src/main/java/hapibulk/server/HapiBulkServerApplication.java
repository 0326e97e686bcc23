package hapibulk.server;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.servlet.support.SpringBootServletInitializer;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.MapPropertySource;

import java.util.Map;

/**
 * The sample server: a HAPI FHIR JPA server (R4, or R4B or R5 with the starter's {@code hapi.fhir.fhir_version})
 * with the hapi-bulk extension, which Spring Boot turns on through its auto-configuration
 * ({@code hapi.bulk.enabled=true} in application.yaml).
 * Runs with {@code java -jar} and deploys to Tomcat 10.1/11 as a WAR.
 */
@SpringBootApplication(excludeName = {
		"org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration",
		"org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration"})
@Import({FhirVersionJpaConfig.class, HapiJpaConfig.class, JpaBatch2Config.class, Batch2JobsConfig.class,
		SubscriptionChannelConfig.class, ThreadPoolFactoryConfig.class, FhirServerConfig.class,
		ManagementMeterFilters.class})
public class HapiBulkServerApplication extends SpringBootServletInitializer {

	public static void main(String[] args) {
		SpringApplication.run(HapiBulkServerApplication.class, args);
	}

	/**
	 * Deployed to a servlet container (Tomcat): the management endpoints cannot have a port of their own there,
	 * and on the API port nothing would check a token for them, so they are off ({@code management.server.port=-1},
	 * above every other setting). Monitor such a deployment through the container, or add Spring Security.
	 */
	@Override
	protected SpringApplicationBuilder configure(SpringApplicationBuilder builder) {
		return builder.sources(HapiBulkServerApplication.class).initializers(context -> context.getEnvironment()
				.getPropertySources().addFirst(new MapPropertySource("hapiSampleInServletContainer",
						Map.of("management.server.port", "-1"))));
	}
}
