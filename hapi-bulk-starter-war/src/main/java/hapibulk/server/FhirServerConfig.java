package hapibulk.server;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.partition.IPartitionLookupSvc;
import ca.uhn.fhir.jpa.partition.PartitionManagementProvider;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.partition.RequestTenantPartitionInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

import javax.sql.DataSource;
import java.util.Properties;

/** HAPI's JPA server on Boot's DataSource, served at {@code /fhir}. */
@Configuration(proxyBeanMethods = false)
public class FhirServerConfig {

	/** Where HAPI's RestfulServer is served, under the context path. */
	static final String FHIR_PATH = "/fhir";

	@Bean
	public JpaStorageSettings storageSettings(Environment environment) {
		JpaStorageSettings settings = new JpaStorageSettings();
		// Real bulk data (Synthea, EHR extracts) references by identifier: Practitioner?identifier=...
		settings.setAllowInlineMatchUrlReferences(
				environment.getProperty("hapi.sample.allow-inline-match-url-references", Boolean.class, true));
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings(Environment environment) {
		return new UrlTenants(environment).partitionSettings();
	}

	/** The tenants {@code hapi.fhir.partitioning.tenants} lists, made before the server takes requests. */
	@Bean
	public SmartInitializingSingleton listedTenants(Environment environment, ObjectProvider<IPartitionLookupSvc> partitions) {
		return () -> {
			UrlTenants tenants = new UrlTenants(environment);
			if (tenants.enabled()) {
				tenants.createListedTenants(partitions.getObject());
			}
		};
	}

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		return new SubscriptionSettings();
	}

	@Bean
	@Primary
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext, JpaStorageSettings storageSettings, DataSource dataSource,
			DataSourceProperties dataSourceProperties) {
		LocalContainerEntityManagerFactoryBean factory =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		factory.setDataSource(dataSource);
		Properties properties = new Properties();
		properties.put("hibernate.dialect", dialectFor(dataSourceProperties.determineUrl()));
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
	public RestfulServer restfulServer(FhirContext fhirContext, ResourceProviderFactory resourceProviders,
			JpaSystemProvider<?, ?> systemProvider, DatabaseBackedPagingProvider pagingProvider,
			IFhirSystemDao<?, ?> systemDao, JpaStorageSettings storageSettings, ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport, Environment environment,
			ObjectProvider<RequestTenantPartitionInterceptor> tenantInterceptor,
			ObjectProvider<PartitionManagementProvider> partitionManagement) {
		RestfulServer server = new RestfulServer(fhirContext);
		UrlTenants tenants = new UrlTenants(environment);
		if (tenants.enabled()) {
			tenants.register(server, tenantInterceptor.getObject(), partitionManagement.getObject());
		}
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider);
		server.setPagingProvider(pagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setServerConformanceProvider(new JpaCapabilityStatementProvider(server, systemDao, storageSettings,
				searchParamRegistry, validationSupport));
		return server;
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer restfulServer) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(restfulServer, FHIR_PATH + "/*");
		registration.setLoadOnStartup(1);
		return registration;
	}

	static String dialectFor(String jdbcUrl) {
		if (jdbcUrl != null && jdbcUrl.startsWith("jdbc:postgresql:")) {
			return "ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect";
		}
		if (jdbcUrl != null && jdbcUrl.startsWith("jdbc:h2:")) {
			return "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect";
		}
		throw new IllegalStateException("The sample server supports H2 and PostgreSQL, not " + jdbcUrl);
	}
}
