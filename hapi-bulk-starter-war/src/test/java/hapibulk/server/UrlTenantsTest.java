package hapibulk.server;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sample's URL-based tenants (KillDuringJobsIT starts the WAR with them and uses them over HTTP). */
class UrlTenantsTest {

	@Test
	void withoutTheSetting_partitioningStaysOff() {
		UrlTenants tenants = new UrlTenants(new MockEnvironment());

		assertThat(tenants.enabled()).isFalse();
		assertThat(tenants.partitionSettings().isPartitioningEnabled()).isFalse();
	}

	@Test
	void enabled_setsPartitioningAsTheStarterDoes_andDatabasePartitionModeOnlyWhenAsked() {
		MockEnvironment environment = new MockEnvironment().withProperty("hapi.fhir.partitioning.enabled", "true");

		PartitionSettings ordinary = new UrlTenants(environment).partitionSettings();
		PartitionSettings databaseMode = new UrlTenants(environment
				.withProperty("hapi.fhir.partitioning.database_partition_mode_enabled", "true")).partitionSettings();

		assertThat(ordinary.isPartitioningEnabled()).isTrue();
		assertThat(ordinary.isIncludePartitionInSearchHashes()).isFalse();
		assertThat(ordinary.getAllowReferencesAcrossPartitions())
				.isEqualTo(PartitionSettings.CrossPartitionReferenceMode.NOT_ALLOWED);
		assertThat(ordinary.isDatabasePartitionMode()).isFalse();
		assertThat(databaseMode.isDatabasePartitionMode()).isTrue();
		assertThat(databaseMode.getDefaultPartitionId()).isZero();
	}

	@Test
	void listedTenants_thatAreNoUrlSegment_orDefault_stopTheStart_beforeAnythingIsMade() {
		for (String bad : new String[] {"a/b", "DEFAULT", "-lead", "x".repeat(65)}) {
			UrlTenants tenants = new UrlTenants(new MockEnvironment().withProperty("hapi.fhir.partitioning.tenants", bad));

			// No partition service given: the name is refused before HAPI is asked anything.
			assertThatThrownBy(() -> tenants.createListedTenants(null)).as(bad)
					.isInstanceOf(IllegalStateException.class).hasMessageContaining("is not a tenant name");
		}
	}
}
