package hapibulk.auth;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {

	@Test
	void acquire_beyondTheLimit_saysHowLongToWait_andANewMinuteStartsAfresh() {
		// given
		ClientAssertionVerifierTest.MovableClock clock = new ClientAssertionVerifierTest.MovableClock();
		RateLimiter limiter = new RateLimiter(3, 100, clock);

		// when / then
		for (int i = 0; i < 3; i++) {
			assertThat(limiter.acquire("a")).isEmpty();
		}
		assertThat(limiter.acquire("a")).hasValueSatisfying(wait ->
				assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(1)));
		assertThat(limiter.acquire("b")).as("keys are counted apart").isEmpty();
		clock.advance(Duration.ofSeconds(61));
		assertThat(limiter.acquire("a")).isEmpty();
	}

	@Test
	void acquire_manyKeys_keepsMemoryBounded_andZeroSwitchesTheLimitOff() {
		// given
		RateLimiter limiter = new RateLimiter(1, 10, new ClientAssertionVerifierTest.MovableClock());

		// when: more distinct keys than it keeps
		for (int i = 0; i < 1000; i++) {
			limiter.acquire("address-" + i);
		}

		// then: still answers, and an off limiter never refuses
		assertThat(limiter.acquire("address-new")).isEmpty();
		RateLimiter off = new RateLimiter(0, 10, new ClientAssertionVerifierTest.MovableClock());
		for (int i = 0; i < 100; i++) {
			assertThat(off.acquire("x")).isEmpty();
		}
	}
}
