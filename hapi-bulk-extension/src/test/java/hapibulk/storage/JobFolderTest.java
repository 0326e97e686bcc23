package hapibulk.storage;

import hapibulk.tenant.Tenant;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where a job's files go: today's layout without a tenant, a folder per tenant with one. */
class JobFolderTest {

	@Test
	void aJobWithoutATenant_keepsTheLayoutItAlwaysHad() {
		assertThat(JobFolder.of("0123abcd").path()).isEqualTo("0123abcd");
		assertThat(JobFolder.of("0123abcd", null).path()).isEqualTo("0123abcd");
	}

	@Test
	void aJobOfOnePartition_isUnderThePartitionsName() {
		assertThat(JobFolder.of("j1", new Tenant(List.of("A"), List.of(1), false)).path()).isEqualTo("tenants/A/j1");
		// the default partition, whose id may be null
		assertThat(JobFolder.of("j1", new Tenant(List.of("DEFAULT"), Arrays.asList((Integer) null), false)).path())
				.isEqualTo("tenants/DEFAULT/j1");
		assertThat(JobFolder.of("j1", new Tenant(List.of("hospital-2.east_wing"), List.of(2), false)).path())
				.isEqualTo("tenants/hospital-2.east_wing/j1");
	}

	@Test
	void everyPartition_andSeveralPartitions_haveFoldersOfTheirOwn_thatNoPartitionNameCanHave() {
		assertThat(JobFolder.of("j1", Tenant.ALL).path()).isEqualTo("tenants/_all/j1");
		assertThat(JobFolder.of("j1", new Tenant(List.of("A", "B"), List.of(1, 2), false)).path())
				.isEqualTo("tenants/_several/j1");
		// a partition really named "_all" is not a safe name as it is: it is encoded
		assertThat(JobFolder.of("j1", new Tenant(List.of("_all"), List.of(3), false)).tenant()).matches("_[0-9a-f]{64}");
	}

	@Test
	void aNameThatIsNoSafeSegment_isEncoded_theSameEachTime_andDifferentlyForAnotherName() {
		String traversal = JobFolder.folderOf(new Tenant(List.of("../x"), List.of(1), false));
		String slash = JobFolder.folderOf(new Tenant(List.of("a/b"), List.of(2), false));

		assertThat(traversal).matches("_[0-9a-f]{64}").isEqualTo(JobFolder.folderOf(
				new Tenant(List.of("../x"), List.of(1), false)));
		assertThat(slash).matches("_[0-9a-f]{64}").isNotEqualTo(traversal);
		for (String name : List.of("..", ".", "a..b", "", "Klinik Süd", "x".repeat(129), "a\\b", "a\u0000b")) {
			assertThat(JobFolder.folderOf(new Tenant(List.of(name), List.of(1), false))).as(name)
					.matches("_[0-9a-f]{64}");
		}
	}

	@Test
	void aFolderMadeByHand_mustBeSafe() {
		assertThatThrownBy(() -> new JobFolder("j1", "../x")).isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new JobFolder("j1", "a/b")).isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new JobFolder("../j1", null)).isInstanceOf(IllegalArgumentException.class);
		assertThatThrownBy(() -> new JobFolder("j1", "_")).isInstanceOf(IllegalArgumentException.class);
	}
}
