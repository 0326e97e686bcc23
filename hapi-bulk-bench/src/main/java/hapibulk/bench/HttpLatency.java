package hapibulk.bench;

import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.job.BulkJobTable;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The latency targets over real HTTP: the context's RestfulServer in an embedded Tomcat,
 * {@code $export} kick-offs one after another (p99), then 50 clients polling {@code $bulk-status}
 * at once (median): first back to back, then each every {@link #PACE}. Kick-offs export a type
 * without resources, so each job ends at once and the limit on running exports is never reached;
 * half the pollers poll a running export of everything, half finished jobs. The bench context sets {@code hapi.bulk.retry-after} to 0, so that the
 * pollers' back-to-back polls are answered rather than refused with 429.
 */
final class HttpLatency {

	/** Latency figures, in milliseconds. */
	record Figures(double kickoffP50, double kickoffP99, double pollMedian, double pollP99,
			double backToBackPollMedian, double backToBackPollP99, int kickoffs, int polls, int backToBackPolls,
			int pollers) {
		String line(String database) {
			return String.format(Locale.ROOT, "latency %s kickoffs=%d kickoff_p50_ms=%.1f kickoff_p99_ms=%.1f pollers=%d"
					+ " poll_every_ms=%d polls=%d poll_median_ms=%.2f poll_p99_ms=%.1f back_to_back_polls=%d"
					+ " back_to_back_poll_median_ms=%.2f back_to_back_poll_p99_ms=%.1f", database, kickoffs, kickoffP50,
					kickoffP99, pollers, PACE.toMillis(), polls, pollMedian, pollP99, backToBackPolls,
					backToBackPollMedian, backToBackPollP99);
		}
	}

	private static final int KICKOFFS = 200;
	private static final int POLLERS = 50;
	private static final Duration POLL_TIME = Duration.ofSeconds(10);
	/**
	 * How often each paced client polls: 20 times more often than the server's default Retry-After
	 * of 2 s asks. Back-to-back polling is measured too, but its latency is the queue of 50 clients
	 * over 2 cores (50 / throughput), not the time a poll takes.
	 */
	private static final Duration PACE = Duration.ofMillis(100);

	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(10)).build();
	private final BulkJobTable table;
	private String base;

	HttpLatency(BulkJobTable table) {
		this.table = table;
	}

	Figures measure(RestfulServer server, Path workDir) throws Exception {
		Tomcat tomcat = start(server, workDir);
		try {
			List<String> finished = new ArrayList<>();
			List<Double> kickoffs = new ArrayList<>();
			for (int i = 0; i < KICKOFFS; i++) {
				long start = System.nanoTime();
				HttpResponse<String> response = send(kickoff("Medication"));
				kickoffs.add((System.nanoTime() - start) / 1e6);
				String statusUrl = statusUrl(response);
				finished.add(statusUrl);
				String id = statusUrl.substring(statusUrl.indexOf("job=") + 4);
				while (table.find(id).orElseThrow().state().isActive()) {
					Thread.sleep(5);
				}
			}
			String running = statusUrl(send(kickoff(String.join(",", SyntheaCopies.DEPENDENCY_ORDER))));
			List<String> urls = new ArrayList<>();
			for (int p = 0; p < POLLERS; p++) {
				urls.add(p % 2 == 0 ? running : finished.get(p % finished.size()));
			}
			List<Double> saturated = poll(urls, Duration.ZERO);
			List<Double> paced = poll(urls, PACE);
			send(HttpRequest.newBuilder(URI.create(running)).DELETE().build());
			return new Figures(percentile(kickoffs, 50), percentile(kickoffs, 99), percentile(paced, 50),
					percentile(paced, 99), percentile(saturated, 50), percentile(saturated, 99), kickoffs.size(),
					paced.size(), saturated.size(), POLLERS);
		} finally {
			tomcat.stop();
			tomcat.destroy();
		}
	}

	/** Each client polls its URL for {@link #POLL_TIME}, starting a poll every {@code pace} (zero: back to back). */
	private List<Double> poll(List<String> urls, Duration pace) throws Exception {
		List<Double> polls = Collections.synchronizedList(new ArrayList<>());
		ExecutorService pool = Executors.newFixedThreadPool(urls.size());
		try {
			long until = System.nanoTime() + POLL_TIME.toNanos();
			List<Future<?>> pollers = new ArrayList<>();
			for (String url : urls) {
				pollers.add(pool.submit(() -> {
					HttpRequest poll = HttpRequest.newBuilder(URI.create(url)).GET().build();
					// Staggered starts, so paced clients do not all poll in the same instant.
					Thread.sleep(ThreadLocalRandom.current().nextLong(pace.toMillis() + 1));
					while (System.nanoTime() < until) {
						long start = System.nanoTime();
						int status = send(poll).statusCode();
						long took = System.nanoTime() - start;
						polls.add(took / 1e6);
						if (status != 200 && status != 202) {
							throw new IllegalStateException("Status poll answered " + status);
						}
						long rest = pace.toNanos() - took;
						if (rest > 0) {
							Thread.sleep(rest / 1_000_000, (int) (rest % 1_000_000));
						}
					}
					return null;
				}));
			}
			for (Future<?> poller : pollers) {
				poller.get();
			}
		} finally {
			pool.shutdownNow();
		}
		return polls;
	}

	private HttpRequest kickoff(String types) {
		return HttpRequest.newBuilder(URI.create(base + "/$export?_type=" + types)).GET()
				.header("Accept", "application/fhir+json").header("Prefer", "respond-async").build();
	}

	private static String statusUrl(HttpResponse<String> response) {
		if (response.statusCode() != 202) {
			throw new IllegalStateException("Kick-off answered " + response.statusCode() + ": " + response.body());
		}
		return response.headers().firstValue("Content-Location").orElseThrow();
	}

	private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
		return client.send(request, HttpResponse.BodyHandlers.ofString());
	}

	private Tomcat start(RestfulServer server, Path workDir) throws LifecycleException, IOException {
		Files.createDirectories(workDir);
		Tomcat tomcat = new Tomcat();
		tomcat.setBaseDir(workDir.toAbsolutePath().toString());
		Connector connector = new Connector();
		connector.setPort(0);
		tomcat.setConnector(connector);
		Context context = tomcat.addContext("", workDir.toAbsolutePath().toString());
		Tomcat.addServlet(context, "fhir", server);
		context.addServletMappingDecoded("/fhir/*", "fhir");
		tomcat.start();
		base = "http://127.0.0.1:" + connector.getLocalPort() + "/fhir";
		return tomcat;
	}

	private static double percentile(List<Double> values, int percentile) {
		List<Double> sorted = new ArrayList<>(values);
		Collections.sort(sorted);
		int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
		return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
	}
}
