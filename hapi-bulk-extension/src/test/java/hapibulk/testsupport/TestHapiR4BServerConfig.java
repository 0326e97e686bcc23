package hapibulk.testsupport;

import ca.uhn.fhir.jpa.config.r4b.JpaR4BConfig;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The FHIR R4B test server (see {@link TestHapiServerBeans}). */
@Configuration(proxyBeanMethods = false)
@Import({JpaR4BConfig.class, TestHapiServerBeans.class})
public class TestHapiR4BServerConfig {
}
