package hapibulk.testsupport;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

import javax.sql.DataSource;
import java.util.Properties;

/**
 * A plain (non-Boot) HAPI FHIR JPA server context over a fresh {@link TestDatabase}, of the FHIR version whose
 * JPA configuration is imported beside it ({@link TestHapiServerConfig} R4, {@link TestHapiR4BServerConfig},
 * {@link TestHapiR5ServerConfig}): what a host that is not the sample WAR looks like. Its RestfulServer is a bean
 * but not a servlet.
 */
@Configuration(proxyBeanMethods = false)
@Import({HapiJpaConfig.class, JpaBatch2Config.class, Batch2JobsConfig.class, SubscriptionChannelConfig.class,
		ThreadPoolFactoryConfig.class})
public class TestHapiServerBeans {

	@Bean
	public TestDatabase testDatabase() {
		return TestDatabase.fresh();
	}

	@Bean(destroyMethod = "close")
	public DataSource dataSource(TestDatabase testDatabase) {
		return testDatabase.dataSource();
	}

	@Bean
	public JpaStorageSettings storageSettings() {
		JpaStorageSettings settings = new JpaStorageSettings();
		// Synthea's references include match URLs (Practitioner?identifier=...).
		settings.setAllowInlineMatchUrlReferences(true);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings();
	}

	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext, JpaStorageSettings storageSettings, DataSource dataSource, TestDatabase database) {
		LocalContainerEntityManagerFactoryBean factory =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		factory.setDataSource(dataSource);
		Properties properties = new Properties();
		properties.put("hibernate.dialect", database.hibernateDialect());
		properties.put("hibernate.hbm2ddl.auto", "update");
		properties.put("hibernate.search.enabled", "false");
		factory.setJpaProperties(properties);
		return factory;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	@Bean
	public RestfulServer restfulServer(FhirContext fhirContext, DaoRegistry daoRegistry) {
		return new RestfulServer(fhirContext);
	}
}
