package hapibulk.tenant;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.PartitionManagementProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.partition.RequestTenantPartitionInterceptor;
import ca.uhn.fhir.rest.server.tenant.UrlBaseTenantIdentificationStrategy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.config.BulkConfiguration;
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
import java.util.Set;
import java.util.TreeSet;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JPA starter's default partitioning (HAPI's ordinary mode: the default partition's id is null, resource ids
 * are unique across partitions), with URL-based tenants: each tenant's export holds its resources only (DEFAULT's
 * included, read with {@code PARTITION_ID IS NULL}), and a job is unknown to the other tenants.
 * {@link TenantsOverUrlTenantsTest} covers the rest, in database partition mode.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class,
		TenantsInOrdinaryPartitioningTest.PartitioningOn.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantsInOrdinaryPartitioningTest {

	static final ObjectMapper JSON = new ObjectMapper();

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
		registry.add("hapi.bulk.auth.mode", () -> "none");
		registry.add("hapi.bulk.retry-after", () -> "0s");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	RequestTenantPartitionInterceptor urlTenants;
	@Autowired
	PartitionManagementProvider partitionManagement;
	@Autowired
	DaoRegistry daoRegistry;

	RestfulServerClient client;

	@BeforeAll
	void partitionedHost() {
		server.setTenantIdentificationStrategy(new UrlBaseTenantIdentificationStrategy());
		server.registerInterceptor(urlTenants);
		server.registerProvider(partitionManagement);
		client = new RestfulServerClient(server);
		Answer created = client.post("DEFAULT/$partition-management-create-partition", "{\"resourceType\":\"Parameters\","
				+ "\"parameter\":[{\"name\":\"id\",\"valueInteger\":1},{\"name\":\"name\",\"valueCode\":\"A\"}]}",
				"Content-Type", "application/fhir+json");
		assertThat(created.status()).as(created.body()).isEqualTo(200);
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
