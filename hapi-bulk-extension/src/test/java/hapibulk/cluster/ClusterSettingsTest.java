package hapibulk.cluster;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster settings refused at start-up, each with its code. */
class ClusterSettingsTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	@Test
	void defaults_areTheSingleNodeMode_withEveryNodeAWorker() {
		// when
		ClusterSettings settings = ClusterSettings.defaults();

		// then
		assertThat(settings.enabled()).isFalse();
		assertThat(settings.worker()).isTrue();
		assertThat(settings.queue()).isEqualTo("hapi-bulk.partitions");
		assertThat(settings.pollInterval()).isEqualTo(Duration.ofSeconds(1));
	}

	@Test
	void enabled_withABlankOrOverlongQueueName_isRefused() {
		assertThatThrownBy(() -> new ClusterSettings(null, LEASE, true, true, " ", Duration.ofSeconds(1)))
				.hasMessageStartingWith("BULK-0700: ");
		assertThatThrownBy(() -> new ClusterSettings(null, LEASE, true, true, "q".repeat(256), Duration.ofSeconds(1)))
				.hasMessageStartingWith("BULK-0700: ");
	}

	@Test
	void enabled_withAPollIntervalUnder10ms_isRefused() {
		assertThatThrownBy(() -> new ClusterSettings(null, LEASE, true, true, "q", Duration.ofMillis(5)))
				.hasMessageStartingWith("BULK-0701: ");
	}

	@Test
	void notEnabled_ignoresTheClusterOnlySettings() {
		// when
		ClusterSettings settings = new ClusterSettings(null, LEASE, false, true, " ", Duration.ZERO);

		// then
		assertThat(settings.enabled()).isFalse();
	}
}
