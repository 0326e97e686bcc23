package hapibulk.it;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Polls a running job's status URL until its {@code X-Progress} count is in a window (the kill tests' moment to kill). */
final class StatusProgress {

	private StatusProgress() {
	}

	/**
	 * @param progress the {@code X-Progress} pattern; its first group is the count
	 * @return the count once it is at least {@code low}, asserting it is at most {@code high}
	 */
	static long awaitBetween(FhirHttp http, String statusUrl, Pattern progress, long low, long high, Duration timeout)
			throws InterruptedException {
		Instant deadline = Instant.now().plus(timeout);
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> status = http.get(statusUrl);
			assertThat(status.statusCode()).as("the job must still run; it finished before it could be killed")
					.isEqualTo(202);
			Matcher matcher = progress.matcher(status.headers().firstValue("X-Progress").orElse(""));
			if (matcher.find() && Long.parseLong(matcher.group(1)) >= low) {
				long count = Long.parseLong(matcher.group(1));
				assertThat(count).isLessThanOrEqualTo(high);
				return count;
			}
			Thread.sleep(1000);
		}
		throw new AssertionError("The job made no progress");
	}
}
