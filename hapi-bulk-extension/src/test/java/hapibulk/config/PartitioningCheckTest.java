package hapibulk.config;

import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IRequestPartitionHelperSvc;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What of HAPI's partitioning the extension refuses at start-up: a partitioned host without HAPI's partition helper.
 * A partitioned HAPI JPA server starts (and is honoured: {@code hapibulk.tenant.TenantsOverUrlTenantsTest}).
 */
class PartitioningCheckTest {

	@Test
	void partitionedHost_withoutHapisPartitionHelper_refusesToStart_namingWhy() {
		PartitionSettings settings = new PartitionSettings();
		settings.setPartitioningEnabled(true);

		assertThatThrownBy(() -> PartitioningCheck.refuseIfPartitionsUnknowable(settings, null))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageContaining("BULK-0503")
				.hasMessageContaining("IRequestPartitionHelperSvc")
				.hasMessageContaining("hapi.bulk.enabled=false");
	}

	@Test
	void partitionedJpaHost_andUnpartitionedHosts_start() {
		PartitionSettings partitioned = new PartitionSettings();
		partitioned.setPartitioningEnabled(true);
		// any helper will do: the check only asks whether there is one
		IRequestPartitionHelperSvc helper = (IRequestPartitionHelperSvc) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] {IRequestPartitionHelperSvc.class}, (proxy, method, args) -> null);

		assertThatCode(() -> PartitioningCheck.refuseIfPartitionsUnknowable(partitioned, helper)).doesNotThrowAnyException();
		assertThatCode(() -> PartitioningCheck.refuseIfPartitionsUnknowable(new PartitionSettings(), null))
				.doesNotThrowAnyException();
		assertThatCode(() -> PartitioningCheck.refuseIfPartitionsUnknowable(null, null)).doesNotThrowAnyException();
	}
}
