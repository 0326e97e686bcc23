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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The latency targets over real HTTP: the context's RestfulServer in an embedded Tomcat,
 * {@code $export} kick-offs one after another (p99), then 50 clients polling {@code $bulk-status}
 * at once (median), each every {@link #PACE} or back to back. Kick-offs export a type
 * without resources, so each job ends at once and the limit on running exports is never reached.
 * Paced polls are measured on an otherwise idle server, then while an export of everything keeps
 * every core busy (half the pollers poll it, half finished jobs); back-to-back polls with such an
 * export too. The bench context sets {@code hapi.bulk.retry-after} to 0, so that
 * the pollers' back-to-back polls are answered rather than refused with 429.
 */
final class HttpLatency {

	/**
	 * Latency figures, in milliseconds. Paced polls are measured twice: on a server with nothing else
	 * to do ({@code poll*}), and while an export of everything runs its partitions on every worker
	 * thread ({@code busyPoll*}: the polls that started before it ended).
	 */
	record Figures(double kickoffP50, double kickoffP99, double pollMedian, double pollP99, double busyPollMedian,
			double busyPollP99, double backToBackPollMedian, double backToBackPollP99, int kickoffs, int polls,
			int busyPolls, int backToBackPolls, int pollers) {
		String line(String database) {
			return String.format(Locale.ROOT, "latency %s kickoffs=%d kickoff_p50_ms=%.1f kickoff_p99_ms=%.1f pollers=%d"
					+ " poll_every_ms=%d polls=%d poll_median_ms=%.2f poll_p99_ms=%.1f polls_while_exporting=%d"
					+ " poll_median_while_exporting_ms=%.2f poll_p99_while_exporting_ms=%.1f back_to_back_polls=%d"
					+ " back_to_back_poll_median_ms=%.2f back_to_back_poll_p99_ms=%.1f", database, kickoffs, kickoffP50,
					kickoffP99, pollers, PACE.toMillis(), polls, pollMedian, pollP99, busyPolls, busyPollMedian,
					busyPollP99, backToBackPolls, backToBackPollMedian, backToBackPollP99);
		}
	}

	/** One status poll: how long it took, and whether the export of everything was running when it started. */
	private record Poll(double millis, boolean busy) {}

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
			List<Double> idle = millis(poll(finished, PACE, false), null);
			List<Double> busy = millis(poll(finished, PACE, true), true);
			List<Double> saturated = millis(poll(finished, Duration.ZERO, true), null);
			return new Figures(percentile(kickoffs, 50), percentile(kickoffs, 99), percentile(idle, 50),
					percentile(idle, 99), percentile(busy, 50), percentile(busy, 99), percentile(saturated, 50),
					percentile(saturated, 99), kickoffs.size(), idle.size(), busy.size(), saturated.size(), POLLERS);
		} finally {
			tomcat.stop();
			tomcat.destroy();
		}
	}

	/**
	 * Each of {@link #POLLERS} clients polls for {@link #POLL_TIME}, starting a poll every {@code pace}
	 * (zero: back to back), the finished jobs in turn. With {@code withExport} an export of everything
	 * is started first, half the clients poll it instead, and it is cancelled afterwards if still running.
	 */
	private List<Poll> poll(List<String> finished, Duration pace, boolean withExport) throws Exception {
		String running = withExport ? statusUrl(send(kickoff(String.join(",", SyntheaCopies.DEPENDENCY_ORDER)))) : null;
		String runningId = withExport ? running.substring(running.indexOf("job=") + 4) : null;
		List<String> urls = new ArrayList<>();
		for (int p = 0; p < POLLERS; p++) {
			urls.add(withExport && p % 2 == 0 ? running : finished.get(p % finished.size()));
		}
		AtomicBoolean exporting = new AtomicBoolean(withExport);
		List<Poll> polls = Collections.synchronizedList(new ArrayList<>());
		ExecutorService pool = Executors.newFixedThreadPool(urls.size() + 1);
		try {
			long until = System.nanoTime() + POLL_TIME.toNanos();
			pool.submit(() -> {
				while (exporting.get() && System.nanoTime() < until) {
					exporting.set(table.find(runningId).orElseThrow().state().isActive());
					Thread.sleep(10);
				}
				return null;
			});
			List<Future<?>> pollers = new ArrayList<>();
			for (String url : urls) {
				pollers.add(pool.submit(() -> {
					HttpRequest poll = HttpRequest.newBuilder(URI.create(url)).GET().build();
					// Staggered starts, so paced clients do not all poll in the same instant.
					Thread.sleep(ThreadLocalRandom.current().nextLong(pace.toMillis() + 1));
					while (System.nanoTime() < until) {
						boolean busy = exporting.get();
						long start = System.nanoTime();
						int status = send(poll).statusCode();
						long took = System.nanoTime() - start;
						polls.add(new Poll(took / 1e6, busy));
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
			if (withExport) {
				send(HttpRequest.newBuilder(URI.create(running)).DELETE().build());
			}
		}
		return polls;
	}

	/** The polls' times: all of them ({@code busy} null), or those that started while the export ran, or after. */
	private static List<Double> millis(List<Poll> polls, Boolean busy) {
		return polls.stream().filter(poll -> busy == null || poll.busy() == busy).map(Poll::millis).toList();
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
		if (values.isEmpty()) {
			return Double.NaN;
		}
		List<Double> sorted = new ArrayList<>(values);
		Collections.sort(sorted);
		int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
		return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
	}
}
