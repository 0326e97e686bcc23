package hapibulk.tenant;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import hapibulk.support.BulkJson;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A tenant as a condition on HAPI's PARTITION_ID, and as the request record keeps it. */
class TenantTest {

	@Test
	void condition_isAKeyForOnePartition_anInListForSeveral_andIsNullForANullDefault() {
		assertThat(tenant(List.of("A"), 1).condition("r.PARTITION_ID"))
				.isEqualTo(new Tenant.Condition("r.PARTITION_ID = ?", List.of(1)));
		assertThat(tenant(List.of("A", "B"), 1, 2).condition("r.PARTITION_ID"))
				.isEqualTo(new Tenant.Condition("r.PARTITION_ID IN (?,?)", List.of(1, 2)));
		assertThat(tenant(List.of("DEFAULT"), (Integer) null).condition("r.PARTITION_ID"))
				.isEqualTo(new Tenant.Condition("r.PARTITION_ID IS NULL", List.of()));
		assertThat(tenant(List.of("A", "DEFAULT"), 1, null).condition("r.PARTITION_ID"))
				.isEqualTo(new Tenant.Condition("(r.PARTITION_ID = ? OR r.PARTITION_ID IS NULL)", List.of(1)));
		assertThat(Tenant.ALL.condition("r.PARTITION_ID")).isNull();
		assertThat(new Tenant(List.of(), List.of(), false).condition("r.PARTITION_ID").sql()).isEqualTo("1 = 0");
	}

	@Test
	void theStoredForm_keepsANullDefaultPartitionId_andHapisPartition() throws Exception {
		Tenant tenant = tenant(List.of("A", "DEFAULT"), 1, null);

		Tenant read = BulkJson.MAPPER.readValue(BulkJson.MAPPER.writeValueAsString(tenant), Tenant.class);

		assertThat(read).isEqualTo(tenant);
		assertThat(read.key()).isEqualTo("A,DEFAULT");
		assertThat(Tenant.of(read.toRequestPartitionId())).isEqualTo(tenant);
		assertThat(Tenant.of(RequestPartitionId.allPartitions())).isEqualTo(Tenant.ALL);
		assertThat(Tenant.ALL.key()).isEqualTo("*");
	}

	private static Tenant tenant(List<String> names, Integer... ids) {
		return new Tenant(names, Arrays.asList(ids), false);
	}
}
