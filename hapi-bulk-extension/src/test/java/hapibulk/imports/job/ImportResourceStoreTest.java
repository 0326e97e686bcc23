package hapibulk.imports.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import hapibulk.testsupport.TestHapiServerConfig;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes of a slice in one transaction, on a real HAPI JPA server: updates of stored resources
 * mixed with creates (one Hibernate flush holding both kinds once put a new resource's index rows
 * before its own row), and a write retried after its transaction rolled back.
 */
@SpringJUnitConfig(classes = TestHapiServerConfig.class)
class ImportResourceStoreTest {

	@Autowired
	FhirContext fhirContext;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	EntityManagerFactory entityManagerFactory;
	@Autowired
	PlatformTransactionManager transactionManager;

	private final SystemRequestDetails request = new SystemRequestDetails();

	@ParameterizedTest(name = "prefetch {0}")
	@ValueSource(booleans = {true, false})
	void updatesAndCreatesInOneTransaction_areAllStoredAndIndexed(boolean prefetch) {
		// given: a stored organization, a deleted one and one to refer to
		String prefix = "mixed-" + prefetch + "-";
		IFhirResourceDao<Organization> organizations = daoRegistry.getResourceDao(Organization.class);
		organizations.update(organization(prefix + "changed", "Before", null), request);
		organizations.update(organization(prefix + "deleted", "Before", null), request);
		organizations.delete(new IdType("Organization", prefix + "deleted"), request);
		organizations.update(organization(prefix + "target", "Target", null), request);

		// when: two updates (one of them brings the deleted one back), then two creates
		List<IBaseResource> slice = List.of(organization(prefix + "changed", "After", null),
				organization(prefix + "deleted", "Back", null),
				organization(prefix + "child", "Child", prefix + "target"),
				organization(prefix + "grandchild", "Grandchild", prefix + "child"));
		new TransactionTemplate(transactionManager).executeWithoutResult(status -> store(prefetch).store(slice));

		// then
		assertStored(prefix + "changed", "After", "2");
		assertStored(prefix + "deleted", "Back", "3");
		assertStored(prefix + "child", "Child", "1");
		assertStored(prefix + "grandchild", "Grandchild", "1");
		assertThat(childrenOf(prefix + "target")).containsExactly(prefix + "child");
		assertThat(childrenOf(prefix + "child")).containsExactly(prefix + "grandchild");
	}

	@Test
	void aWriteRetriedAfterItsTransactionRolledBack_isStored() {
		// given: a stored organization, and a change of it written once in a transaction that rolled back
		IFhirResourceDao<Organization> organizations = daoRegistry.getResourceDao(Organization.class);
		organizations.update(organization("retried", "Before", null), request);
		List<IBaseResource> change = List.of(organization("retried", "After", null));
		TransactionTemplate transaction = new TransactionTemplate(transactionManager);
		transaction.executeWithoutResult(status -> {
			store(true).store(change);
			status.setRollbackOnly();
		});
		assertThat(change.get(0).getIdElement().getVersionIdPart()).as("HAPI's write set the version").isEqualTo("2");

		// when: the same resource object again, as the line-by-line retry does
		transaction.executeWithoutResult(status -> store(true).store(change));

		// then
		assertStored("retried", "After", "2");
	}

	private void assertStored(String id, String name, String version) {
		Organization read = daoRegistry.getResourceDao(Organization.class).read(new IdType("Organization", id), request);
		assertThat(read.getName()).as(id).isEqualTo(name);
		assertThat(read.getMeta().getVersionId()).as(id).isEqualTo(version);
	}

	private List<String> childrenOf(String id) {
		SearchParameterMap byParent = SearchParameterMap.newSynchronous()
				.add("partof", new ReferenceParam("Organization/" + id));
		return daoRegistry.getResourceDao(Organization.class).search(byParent, request).getAllResources().stream()
				.map(found -> found.getIdElement().getIdPart()).toList();
	}

	private ImportResourceStore store(boolean prefetch) {
		EntityManager entityManager = SharedEntityManagerCreator.createSharedEntityManager(entityManagerFactory);
		return new ImportResourceStore(daoRegistry, entityManager,
				prefetch ? new StoredIdPrefetch(fhirContext, entityManager) : null);
	}

	private static Organization organization(String id, String name, String partOf) {
		Organization organization = new Organization().setName(name);
		organization.setId(id);
		if (partOf != null) {
			organization.setPartOf(new Reference("Organization/" + partOf));
		}
		return organization;
	}
}
