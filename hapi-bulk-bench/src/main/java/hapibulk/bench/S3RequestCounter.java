package hapibulk.bench;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.gaul.shaded.org.eclipse.jetty.server.Request;
import org.gaul.shaded.org.eclipse.jetty.server.handler.HandlerWrapper;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the HTTP requests the benchmark's S3 server receives, by S3 operation, before s3proxy handles
 * them (a handler in front of s3proxy's own, in its Jetty). The operations are the ones an object store
 * bills and rate-limits: PUT (an object or a multipart part), GET (an object), LIST (a bucket's keys),
 * DELETE (one object, or one multi-object delete request), HEAD, POST (any other). It answers
 * {@code GET /bench-requests} itself, with the counts so far as {@code OPERATION=count} lines, for the
 * benchmark in the other process.
 */
final class S3RequestCounter extends HandlerWrapper {

	static final String COUNTS_PATH = "/bench-requests";

	private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

	@Override
	public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
			throws IOException, ServletException {
		if ("GET".equals(request.getMethod()) && COUNTS_PATH.equals(request.getRequestURI())) {
			response.setContentType("text/plain");
			StringBuilder body = new StringBuilder();
			counts.forEach((operation, count) -> body.append(operation).append('=').append(count.sum()).append('\n'));
			response.getWriter().write(body.toString());
			baseRequest.setHandled(true);
			return;
		}
		counts.computeIfAbsent(operation(request), name -> new LongAdder()).increment();
		super.handle(target, baseRequest, request, response);
	}

	/** The counts in an answer of {@link #COUNTS_PATH}, by operation. */
	static Map<String, Long> parse(String body) {
		Map<String, Long> counts = new TreeMap<>();
		body.lines().filter(line -> line.contains("=")).forEach(line -> counts.put(line.substring(0, line.indexOf('=')),
				Long.parseLong(line.substring(line.indexOf('=') + 1).trim())));
		return counts;
	}

	/** Path-style addressing: {@code /bucket} (a LIST when read) or {@code /bucket/key}. */
	private static String operation(HttpServletRequest request) {
		String query = request.getQueryString() == null ? "" : request.getQueryString();
		String path = request.getRequestURI();
		boolean bucketOnly = path.indexOf('/', 1) < 0 || path.indexOf('/', 1) == path.length() - 1;
		return switch (request.getMethod()) {
			case "GET" -> bucketOnly ? "LIST" : "GET";
			case "PUT" -> "PUT";
			case "DELETE" -> "DELETE";
			case "HEAD" -> "HEAD";
			case "POST" -> query.startsWith("delete") || query.contains("&delete") ? "DELETE" : "POST";
			default -> request.getMethod();
		};
	}
}
