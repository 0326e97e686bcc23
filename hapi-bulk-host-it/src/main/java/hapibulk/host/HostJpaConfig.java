package hapibulk.host;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.batch2.jobs.imprt.BulkDataImportProvider;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.ResponseHighlighterInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.orm.jpa.JpaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

import javax.sql.DataSource;

/**
 * The starter's JPA and REST wiring: storage settings from {@code hapi.fhir.*} (with the starter's
 * default {@code store_meta_source_information: NONE}), Hibernate settings from
 * {@code spring.jpa.properties}, and HAPI's own bulk providers registered when
 * {@code hapi.fhir.bulk_export_enabled} / {@code bulk_import_enabled} say so.
 */
@Configuration(proxyBeanMethods = false)
public class HostJpaConfig {

	@Bean
	public JpaStorageSettings storageSettings(Environment environment) {
		JpaStorageSettings settings = new JpaStorageSettings();
		settings.setStoreMetaSourceInformation(environment.getProperty("hapi.fhir.store_meta_source_information",
				JpaStorageSettings.StoreMetaSourceInformationEnum.class,
				JpaStorageSettings.StoreMetaSourceInformationEnum.NONE));
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

	@Primary
	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(JpaProperties jpaProperties,
			DataSource dataSource, ConfigurableListableBeanFactory beanFactory, FhirContext fhirContext,
			JpaStorageSettings storageSettings) {
		LocalContainerEntityManagerFactoryBean factory =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		jpaProperties.getProperties().putIfAbsent("hibernate.hbm2ddl.auto", "update");
		jpaProperties.getProperties().putIfAbsent("hibernate.search.enabled", "false");
		factory.setPersistenceUnitName("HAPI_PU");
		factory.setJpaPropertyMap(jpaProperties.getProperties());
		factory.setDataSource(dataSource);
		return factory;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}

	@Bean
	public RestfulServer restfulServer(Environment environment, IFhirSystemDao<?, ?> systemDao,
			ResourceProviderFactory resourceProviders, JpaSystemProvider<?, ?> systemProvider,
			JpaStorageSettings storageSettings, ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport, DatabaseBackedPagingProvider pagingProvider,
			BulkDataExportProvider bulkDataExportProvider, BulkDataImportProvider bulkDataImportProvider) {
		RestfulServer server = new RestfulServer(systemDao.getContext());
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider);
		server.setServerConformanceProvider(new JpaCapabilityStatementProvider(server, systemDao, storageSettings,
				searchParamRegistry, validationSupport));
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setPagingProvider(pagingProvider);
		server.registerInterceptor(new ResponseHighlighterInterceptor());
		if (environment.getProperty("hapi.fhir.bulk_export_enabled", Boolean.class, false)) {
			server.registerProvider(bulkDataExportProvider);
		}
		if (environment.getProperty("hapi.fhir.bulk_import_enabled", Boolean.class, false)) {
			server.registerProvider(bulkDataImportProvider);
		}
		return server;
	}
}
