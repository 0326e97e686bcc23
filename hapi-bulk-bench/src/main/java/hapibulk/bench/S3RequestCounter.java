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
 * DELETE (one object, or one multi-object delete request), HEAD, POST (any other).
 */
final class S3RequestCounter extends HandlerWrapper {

	private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

	@Override
	public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
			throws IOException, ServletException {
		counts.computeIfAbsent(operation(request), name -> new LongAdder()).increment();
		super.handle(target, baseRequest, request, response);
	}

	/** The counts so far, by operation (a copy). */
	Map<String, Long> snapshot() {
		Map<String, Long> copy = new TreeMap<>();
		counts.forEach((operation, count) -> copy.put(operation, count.sum()));
		return copy;
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
