package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What of HAPI's partitioning the extension refuses at start-up: database partition mode only. Ordinary
 * partitioning starts (and is honoured: {@code hapibulk.tenant.TenantsOverUrlTenantsTest} starts such a host).
 */
class PartitioningCheckTest {

	@Test
	void databasePartitionMode_refusesToStart_namingTheSettingAndWhy() {
		PartitionSettings settings = new PartitionSettings();
		settings.setPartitioningEnabled(true);
		settings.setDatabasePartitionMode(true);

		assertThatThrownBy(() -> PartitioningCheck.refuseIfPartitioned(settings))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("BULK-0503")
				.hasMessageContaining("PartitionSettings.isDatabasePartitionMode()")
				.hasMessageContaining("hapi.bulk.enabled=false");
	}

	@Test
	void ordinaryPartitioning_andNone_start() {
		PartitionSettings partitioned = new PartitionSettings();
		partitioned.setPartitioningEnabled(true);

		assertThatCode(() -> PartitioningCheck.refuseIfPartitioned(partitioned)).doesNotThrowAnyException();
		assertThatCode(() -> PartitioningCheck.refuseIfPartitioned(new PartitionSettings())).doesNotThrowAnyException();
		assertThatCode(() -> PartitioningCheck.refuseIfPartitioned(null)).doesNotThrowAnyException();
	}
}
