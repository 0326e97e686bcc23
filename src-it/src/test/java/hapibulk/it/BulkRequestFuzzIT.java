package hapibulk.it;

import hapibulk.testsupport.BulkRequestCases;
import hapibulk.testsupport.BulkRequestCases.Request;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kick-off, {@code $import}, status and file fuzz of the extension's {@code BulkRequestFuzzTest}, over HTTP
 * (loopback) against the packaged WAR started with {@code java -jar} ({@link SharedPlainWar}): Tomcat and Spring
 * Boot in front of HAPI.
 * Same seed, same generator: none of a few hundred cases may answer 5xx, and no answer may show a stack trace,
 * SQL, a file path or a class name the request did not hold. (Empty header values are left out: HTTP clients
 * do not send them.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedPlainWar.class)
class BulkRequestFuzzIT {

	private WarProcess server;
	final BulkRequestCases cases = new BulkRequestCases("fuzz-it-");

	@BeforeAll
	void startServer(WarProcess shared) {
		server = shared;
		FhirHttp http = server.http();
		assertThat(http.put("Patient/p1", "{\"resourceType\":\"Patient\",\"id\":\"p1\"}",
				"Content-Type", "application/fhir+json").statusCode()).isBetween(200, 201);
		assertThat(http.put("Group/g1", "{\"resourceType\":\"Group\",\"id\":\"g1\",\"type\":\"person\","
				+ "\"actual\":true,\"member\":[{\"entity\":{\"reference\":\"Patient/p1\"}}]}",
				"Content-Type", "application/fhir+json").statusCode()).isBetween(200, 201);
	}

	@Test
	void generatedRequests_neverAnswer5xx_norShowInternals() {
		// given
		String jobStatus = server.http().get("$export?_type=Patient", "Accept", "application/fhir+json", "Prefer",
				"respond-async").headers().firstValue("Content-Location").orElseThrow();
		String jobId = jobStatus.substring(jobStatus.indexOf("job=") + 4);
		List<String> failures = new ArrayList<>();
		TreeMap<Integer, Integer> statuses = new TreeMap<>();
		for (int i = 0; i < BulkRequestCases.CASES; i++) {
			Request request = cases.next(i, jobId);
			// when
			HttpResponse<String> answer = send(request);
			// then
			statuses.merge(answer.statusCode(), 1, Integer::sum);
			String problem = cases.problem(request, answer.statusCode(), answer.body());
			if (problem != null) {
				failures.add("case " + i + ": " + request + " -> " + answer.statusCode() + " " + problem + "\n"
						+ answer.body());
			}
			if (answer.statusCode() == 202 && answer.headers().firstValue("Content-Location").isPresent()) {
				server.http().delete(answer.headers().firstValue("Content-Location").get());
			}
		}
		System.out.println("Fuzz answers by status: " + statuses);
		assertThat(failures).isEmpty();
		assertThat(statuses.keySet()).as("the cases reach past the first checks").contains(202, 400, 404);
	}

	/** Over HTTP: what a URL may not hold raw is percent-encoded (the escapes the case holds stay as they are). */
	private HttpResponse<String> send(Request request) {
		StringBuilder path = new StringBuilder();
		String raw = request.path();
		for (int i = 0; i < raw.length(); i++) {
			char c = raw.charAt(i);
			boolean sendAsIs = c > 0x20 && c < 0x7f && "<>\"\\{}|^` ".indexOf(c) < 0
					&& (c != '%' || isEscape(raw, i));
			path.append(sendAsIs ? String.valueOf(c) : URLEncoder.encode(String.valueOf(c), StandardCharsets.UTF_8));
		}
		List<String> headers = new ArrayList<>();
		for (int h = 0; h + 1 < request.headers().length; h += 2) {
			if (!request.headers()[h + 1].isEmpty()) {
				headers.addAll(List.of(request.headers()[h], request.headers()[h + 1]));
			}
		}
		String[] headerArray = headers.toArray(String[]::new);
		FhirHttp http = server.http();
		return switch (request.method()) {
			case "POST" -> http.post(path.toString(), request.body(), headerArray);
			case "PUT" -> http.put(path.toString(), request.body(), headerArray);
			case "DELETE" -> http.delete(path.toString(), headerArray);
			default -> http.get(path.toString(), headerArray);
		};
	}

	/** A '%' that does not start a two-hex-digit escape cannot go on the wire as it is: HTTP clients refuse it. */
	private static boolean isEscape(String text, int percentAt) {
		return percentAt + 2 < text.length() && Character.digit(text.charAt(percentAt + 1), 16) >= 0
				&& Character.digit(text.charAt(percentAt + 2), 16) >= 0;
	}
}
