package hapibulk.job;

import com.zaxxer.hikari.HikariDataSource;
import hapibulk.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Claims of remote partitions on a real database (H2, or PostgreSQL with -Dhapibulk.test.db=postgres): a live
 * node's partition is never claimed by another, a dead node's is (its lease expired, or it restarted), and of two
 * nodes claiming at once exactly one wins.
 */
class PartitionClaimsTest {

	private HikariDataSource dataSource;
	private JdbcTemplate jdbc;

	@BeforeEach
	void database() {
		dataSource = TestDatabase.fresh().dataSource();
		jdbc = new JdbcTemplate(dataSource);
		jdbc.execute(NodeLease.createTableSql());
		jdbc.execute(PartitionClaims.createTableSql());
	}

	@AfterEach
	void close() {
		dataSource.close();
	}

	@Test
	void aPartitionALiveNodeHolds_isNotClaimedByAnother_norTwiceByItself() {
		// given
		PartitionClaims a = claims("node-a");
		PartitionClaims b = claims("node-b");
		assertThat(a.claim(41)).isTrue();

		// when / then
		assertThat(b.claim(41)).isFalse();
		assertThat(a.claim(41)).as("a second request reaching the node that runs it").isFalse();
		assertThat(b.holder(41)).contains("node-a");
		assertThat(b.claim(42)).as("another partition").isTrue();
	}

	@Test
	void aPartitionOfANodeWhoseLeaseExpired_isTakenOverByExactlyOneOtherNode() throws Exception {
		// given: node-a claimed the partition, then died (its lease ran out)
		assertThat(claims("node-a").claim(7)).isTrue();
		jdbc.update("UPDATE BULK_NODE SET EXPIRES_AT = ? WHERE NODE_ID = 'node-a'",
				java.time.OffsetDateTime.now().minusMinutes(1));
		PartitionClaims b = claims("node-b");
		PartitionClaims c = claims("node-c");

		// when: two live nodes claim it at once
		CyclicBarrier together = new CyclicBarrier(2);
		ExecutorService threads = Executors.newFixedThreadPool(2);
		try {
			Future<Boolean> byB = threads.submit(() -> {
				together.await();
				return b.claim(7);
			});
			Future<Boolean> byC = threads.submit(() -> {
				together.await();
				return c.claim(7);
			});

			// then
			assertThat(List.of(byB.get(), byC.get())).containsExactlyInAnyOrder(true, false);
		} finally {
			threads.shutdownNow();
		}
		assertThat(b.holder(7)).isPresent().get().isIn("node-b", "node-c");
	}

	@Test
	void aNodeRestartedUnderItsId_canClaimWhatItsEarlierProcessHeld() {
		// given: the earlier process of node-a claimed the partition and was killed
		assertThat(claims("node-a").claim(9)).isTrue();

		// when: node-a starts again (a new process, a new lease registration)
		PartitionClaims restarted = claims("node-a");

		// then
		assertThat(restarted.claim(9)).isTrue();
		assertThat(claims("node-b").claim(9)).isFalse();
	}

	@Test
	void aReleasedPartition_canBeClaimedByAnother() {
		// given
		PartitionClaims a = claims("node-a");
		PartitionClaims b = claims("node-b");
		assertThat(a.claim(5)).isTrue();

		// when: node-b's release does not touch node-a's claim; node-a's own does
		b.release(5);
		assertThat(b.claim(5)).isFalse();
		a.release(5);

		// then
		assertThat(b.claim(5)).isTrue();
	}

	private PartitionClaims claims(String node) {
		return new PartitionClaims(jdbc, new NodeLease(jdbc, node, Duration.ofSeconds(30)));
	}
}
