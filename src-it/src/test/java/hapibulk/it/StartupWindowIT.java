package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up window of {@code java -jar}: polled every 50 ms from the moment the process starts,
 * the server never serves FHIR data without a token in mode smart (401 or 503, or no connection),
 * and every CapabilityStatement it serves already lists our operations.
 */
class StartupWindowIT {

	@TempDir
	Path workDir;

	@Test
	void fromProcessStart_patientWithoutTokenIsNeverServed_andEveryCapabilityStatementListsOurOperations()
			throws Exception {
		// given
		int port = WarProcess.freePort();
		String base = "http://localhost:" + port + "/fhir";
		FhirHttp poller = new FhirHttp(base, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());
		SmartClient client = SmartClient.rs384("startup-client", "rsa-startup");
		Map<Integer, Integer> patientAnswers = new ConcurrentHashMap<>();
		List<String> badPatientAnswers = new ArrayList<>();
		List<String> badMetadata = new ArrayList<>();
		int[] metadataServed = {0};
		AtomicBoolean polling = new AtomicBoolean(true);
		// Whatever else ends the poller (an answer it cannot parse, a bug here) fails the test: a poller that died
		// in the first second would leave the window unwatched and every assertion below vacuous.
		AtomicReference<Throwable> pollerFailure = new AtomicReference<>();
		Thread pollThread = new Thread(() -> {
			try {
				while (polling.get()) {
					HttpResponse<String> patients = answerOrNull(poller, "Patient");
					patientAnswers.merge(patients == null ? 0 : patients.statusCode(), 1, Integer::sum);
					if (patients != null && patients.statusCode() != 401 && patients.statusCode() != 503) {
						badPatientAnswers.add(patients.statusCode() + " " + patients.body());
					}
					HttpResponse<String> metadata = answerOrNull(poller, "metadata");
					if (metadata != null && metadata.statusCode() == 200) {
						metadataServed[0]++;
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
		}, "startup-poller");

		// when: polling runs from before the process starts until a while after it answers
		pollThread.start();
		try (WarProcess server = WarProcess.start(workDir, port, ItDatabase.fresh(workDir), List.of(),
				new FhirHttp(base), "--hapi.bulk.auth.mode=smart", "--hapi.bulk.server-base-url=" + base,
				"--hapi.bulk.auth.clients[0].client-id=" + client.clientId(),
				"--hapi.bulk.auth.clients[0].jwks=" + client.publicJwks(),
				"--hapi.bulk.auth.clients[0].scopes=system/*.read")) {
			Thread.sleep(3_000);
			polling.set(false);
			pollThread.join();

			// then
			if (pollerFailure.get() != null) {
				throw new AssertionError("The start-up poller died", pollerFailure.get());
			}
			System.out.println("Patient answers during start-up (0 = no connection): " + new TreeMap<>(patientAnswers)
					+ "; CapabilityStatements served: " + metadataServed[0] + "; started in " + server.startupTime());
			assertThat(badPatientAnswers).as("Patient without a token during start-up").isEmpty();
			assertThat(patientAnswers).containsKey(401);
			assertThat(metadataServed[0]).isPositive();
			assertThat(badMetadata).as("CapabilityStatements without our operations").isEmpty();
		} finally {
			polling.set(false);
			pollThread.join();
		}
	}

	/** The server's answer, or null while it does not take connections (not listening yet, or closing them). */
	private static HttpResponse<String> answerOrNull(FhirHttp http, String path) {
		try {
			return http.get(path, "Accept", "application/fhir+json");
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
