package hapibulk.testsupport;

import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The FHIR R4 test server (see {@link TestHapiServerBeans}): the host most tests run in. */
@Configuration(proxyBeanMethods = false)
@Import({JpaR4Config.class, TestHapiServerBeans.class})
public class TestHapiServerConfig {
}
