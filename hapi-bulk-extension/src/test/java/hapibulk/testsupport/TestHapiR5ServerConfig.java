package hapibulk.testsupport;

import ca.uhn.fhir.jpa.config.r5.JpaR5Config;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The FHIR R5 test server (see {@link TestHapiServerBeans}). */
@Configuration(proxyBeanMethods = false)
@Import({JpaR5Config.class, TestHapiServerBeans.class})
public class TestHapiR5ServerConfig {
}
