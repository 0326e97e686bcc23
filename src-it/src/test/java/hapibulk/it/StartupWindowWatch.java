package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watches the start-up window of a {@code java -jar} in mode smart: from before the process starts until
 * {@link #stop()}, it asks for {@code Patient} without a token and for {@code metadata} every 50 ms. Started beside
 * an IT's own server start (so that CI pays no start of its own for it); {@link #assertTheWindowWasClosed()} then
 * checks that no FHIR data was served without a token (401 or 503, or no connection) and that every
 * CapabilityStatement served already listed our operations.
 */
final class StartupWindowWatch {

	private final FhirHttp poller;
	private final Map<Integer, Integer> patientAnswers = new ConcurrentHashMap<>();
	private final List<String> badPatientAnswers = new CopyOnWriteArrayList<>();
	private final List<String> badMetadata = new CopyOnWriteArrayList<>();
	private final AtomicInteger metadataServed = new AtomicInteger();
	private final AtomicBoolean polling = new AtomicBoolean(true);
	/**
	 * Whatever else ends the poller (an answer it cannot parse, a bug here) fails the check: a poller that died in
	 * the first second would leave the window unwatched and every assertion vacuous.
	 */
	private final AtomicReference<Throwable> pollerFailure = new AtomicReference<>();
	private final Thread thread;

	private StartupWindowWatch(String base) {
		this.poller = new FhirHttp(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());
		this.thread = new Thread(this::poll, "startup-poller");
	}

	/** Starts polling {@code base} now, before the server's process exists. */
	static StartupWindowWatch start(String base) {
		StartupWindowWatch watch = new StartupWindowWatch(base);
		watch.thread.start();
		return watch;
	}

	void stop() throws InterruptedException {
		polling.set(false);
		thread.join();
	}

	void assertTheWindowWasClosed() throws InterruptedException {
		stop();
		if (pollerFailure.get() != null) {
			throw new AssertionError("The start-up poller died", pollerFailure.get());
		}
		System.out.println("[hapi-bulk-it] Patient answers during start-up (0 = no connection): "
				+ new TreeMap<>(patientAnswers) + "; CapabilityStatements served: " + metadataServed.get());
		assertThat(badPatientAnswers).as("Patient without a token during start-up").isEmpty();
		assertThat(patientAnswers).as("the watch saw the server refuse").containsKey(401);
		assertThat(patientAnswers).as("the watch began before the server listened").containsKey(0);
		assertThat(metadataServed.get()).isPositive();
		assertThat(badMetadata).as("CapabilityStatements without our operations").isEmpty();
	}

	private void poll() {
		try {
			while (polling.get()) {
				HttpResponse<String> patients = answerOrNull("Patient");
				patientAnswers.merge(patients == null ? 0 : patients.statusCode(), 1, Integer::sum);
				if (patients != null && patients.statusCode() != 401 && patients.statusCode() != 503) {
					badPatientAnswers.add(patients.statusCode() + " " + patients.body());
				}
				HttpResponse<String> metadata = answerOrNull("metadata");
				if (metadata != null && metadata.statusCode() == 200) {
					metadataServed.incrementAndGet();
					String problem = missingOperations(metadata.body());
					if (problem != null) {
						badMetadata.add(problem);
					}
				}
				Thread.sleep(50);
			}
		} catch (Throwable e) {
			pollerFailure.set(e);
		}
	}

	/** The server's answer, or null while it does not take connections (not listening yet, or closing them). */
	private HttpResponse<String> answerOrNull(String path) {
		try {
			return poller.get(path, "Accept", "application/fhir+json");
		} catch (UncheckedIOException notListeningYet) {
			return null;
		}
	}

	/** What the statement lacks of ours, or null when it is complete. */
	private static String missingOperations(String body) {
		JsonNode rest = FhirHttp.parse(body).path("rest").path(0);
		List<String> names = new ArrayList<>();
		List<String> definitions = new ArrayList<>();
		StreamSupport.stream(rest.path("operation").spliterator(), false).forEach(operation -> {
			names.add(operation.path("name").asText());
			definitions.add(operation.path("definition").asText());
		});
		if (!names.containsAll(List.of("export", "import", "bulk-status", "bulk-file"))
				|| definitions.stream().anyMatch(definition -> definition.endsWith("/null"))) {
			return names + " " + definitions;
		}
		return null;
	}
}
