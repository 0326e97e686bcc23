package hapibulk.support;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PreferHeaderTest {

	@Test
	void preferenceParameters_areAllowed_asRfc7240Says() {
		assertThat(PreferHeader.of(List.of("respond-async; foo")).respondAsync()).isTrue();
		assertThat(PreferHeader.of(List.of("respond-async;foo=bar, handling=lenient; x")))
				.isEqualTo(new PreferHeader(true, true, false));
		assertThat(PreferHeader.of(List.of("handling=\"lenient\"", "RESPOND-ASYNC"))).isEqualTo(
				new PreferHeader(true, true, false));
	}

	@Test
	void otherPreferences_areNotTakenForOurs() {
		assertThat(PreferHeader.of(List.of("respond-asyncx, handling=strict, wait=10")))
				.isEqualTo(new PreferHeader(false, false, false));
		assertThat(PreferHeader.of(null)).isEqualTo(new PreferHeader(false, false, false));
	}
}
