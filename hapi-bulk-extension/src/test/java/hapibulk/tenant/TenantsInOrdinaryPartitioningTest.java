package hapibulk.tenant;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.entity.PartitionEntity;
import ca.uhn.fhir.jpa.partition.IPartitionLookupSvc;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.partition.RequestTenantPartitionInterceptor;
import ca.uhn.fhir.rest.server.tenant.UrlBaseTenantIdentificationStrategy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.BackendServicesTokens;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JPA starter's default partitioning (HAPI's ordinary mode: the default partition's id is null, resource ids
 * are unique across partitions), with URL-based tenants, in auth mode smart: each tenant's export holds its resources
 * only (DEFAULT's included, read with {@code PARTITION_ID IS NULL}), and a job is unknown to the other tenants, to
 * its own client's token and to an administrator of bulk jobs alike. {@link TenantsOverUrlTenantsTest} covers the
 * rest, in database partition mode and mode none.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class,
		TenantsInOrdinaryPartitioningTest.PartitioningOn.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantsInOrdinaryPartitioningTest {

	static final ObjectMapper JSON = new ObjectMapper();
	static final BackendServicesTokens TOKENS = new BackendServicesTokens();

	@Configuration(proxyBeanMethods = false)
	static class PartitioningOn {
		@Bean
		static BeanPostProcessor ordinaryPartitioningOn() {
			return new BeanPostProcessor() {
				@Override
				public Object postProcessBeforeInitialization(Object bean, String beanName) {
					if (bean instanceof PartitionSettings settings) {
						settings.setPartitioningEnabled(true);
					}
					return bean;
				}
			};
		}
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws Exception {
		Path files = Files.createTempDirectory("hapi-bulk-ordinary-tenants");
		registry.add("hapi.bulk.file-directory", files::toString);
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.auth.mode", () -> "smart");
		String jwks = TOKENS.jwks();
		registry.add("hapi.bulk.auth.clients[0].client-id", () -> "owner");
		registry.add("hapi.bulk.auth.clients[0].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[0].scopes", () -> "system/*.rs");
		registry.add("hapi.bulk.auth.clients[1].client-id", () -> "operator");
		registry.add("hapi.bulk.auth.clients[1].jwks", () -> jwks);
		registry.add("hapi.bulk.auth.clients[1].scopes", () -> "system/bulk-admin");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	RequestTenantPartitionInterceptor urlTenants;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	IPartitionLookupSvc partitions;

	RestfulServerClient client;
	RestfulServerClient admin;

	@BeforeAll
	void partitionedHost() throws Exception {
		server.setTenantIdentificationStrategy(new UrlBaseTenantIdentificationStrategy());
		server.registerInterceptor(urlTenants);
		RestfulServerClient anonymous = new RestfulServerClient(server);
		client = anonymous.withHeaders("Authorization", "Bearer " + TOKENS.token(anonymous, "owner", "system/*.rs"));
		admin = anonymous.withHeaders("Authorization", "Bearer " + TOKENS.token(anonymous, "operator", "system/bulk-admin"));
		// HAPI's partition management service (its REST operation needs a token no bulk client holds in mode smart)
		partitions.createPartition(new PartitionEntity().setId(1).setName("A"), new SystemRequestDetails());
		patient("a-1", SystemRequestDetails.forRequestPartitionId(RequestPartitionId.fromPartitionIdAndName(1, "A")));
		patient("d-1", SystemRequestDetails.forRequestPartitionId(RequestPartitionId.defaultPartition()));
	}

	@Test
	void eachTenantsExport_holdsItsOwnResources_andItsJobIsUnknownToTheOther() throws Exception {
		// when
		String jobA = kickOff("A");
		String jobDefault = kickOff("DEFAULT");

		// then
		assertThat(exported("A", jobA)).containsExactly("Observation/a-1-obs", "Patient/a-1");
		assertThat(exported("DEFAULT", jobDefault)).containsExactly("Observation/d-1-obs", "Patient/d-1");
		assertThat(client.get("DEFAULT/$bulk-status?job=" + jobA).status()).isEqualTo(404);
		assertThat(client.get("A/$bulk-status?job=" + jobDefault).status()).isEqualTo(404);
		// an administrator of bulk jobs sees and cancels only its own tenant's
		assertThat(admin.get("DEFAULT/$bulk-jobs?job=" + jobA).status()).isEqualTo(404);
		assertThat(admin.get("DEFAULT/$bulk-jobs").body()).doesNotContain(jobA).contains(jobDefault);
		assertThat(admin.delete("DEFAULT/$bulk-status?job=" + jobA).status()).isEqualTo(404);
		assertThat(admin.get("A/$bulk-jobs?job=" + jobA).status()).isEqualTo(200);
		assertThat(client.get("A/$bulk-status?job=" + jobA).status()).isEqualTo(200);
	}

	private void patient(String id, SystemRequestDetails request) {
		Patient patient = new Patient().setActive(true);
		patient.setId(id);
		daoRegistry.getResourceDao(Patient.class).update(patient, request);
		Observation observation = new Observation().setStatus(Observation.ObservationStatus.FINAL)
				.setCode(new CodeableConcept().setText("marker")).setSubject(new Reference("Patient/" + id));
		observation.setId(id + "-obs");
		daoRegistry.getResourceDao(Observation.class).update(observation, request);
	}

	private String kickOff(String tenant) {
		Answer answer = client.get(tenant + "/$export?_type=Patient,Observation", kickOffHeaders());
		assertThat(answer.status()).as(answer.body()).isEqualTo(202);
		String location = answer.header("Content-Location");
		return location.substring(location.indexOf("job=") + 4);
	}

	private Set<String> exported(String tenant, String job) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
		Answer status = client.get(tenant + "/$bulk-status?job=" + job);
		while (status.status() == 202 && System.nanoTime() < deadline) {
			Thread.sleep(100);
			status = client.get(tenant + "/$bulk-status?job=" + job);
		}
		assertThat(status.status()).as(status.body()).isEqualTo(200);
		Set<String> resources = new TreeSet<>();
		for (JsonNode output : JSON.readTree(status.body()).get("output")) {
			Answer file = client.get(output.get("url").asText());
			assertThat(file.status()).isEqualTo(200);
			for (String line : file.body().split("\n")) {
				if (!line.isBlank()) {
					JsonNode node = JSON.readTree(line);
					resources.add(node.get("resourceType").asText() + "/" + node.get("id").asText());
				}
			}
		}
		return resources;
	}
}
