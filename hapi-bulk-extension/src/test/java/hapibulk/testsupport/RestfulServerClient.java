package hapibulk.testsupport;

import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.ServletException;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.mock.web.MockServletConfig;
import org.springframework.mock.web.MockServletContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Requests to the test host's real {@link RestfulServer} (our providers and interceptors registered on it as
 * in any host), made in process through servlet request objects: HAPI's whole request handling (parameter
 * parsing, binding, interceptors, exception rendering) runs, without a network.
 */
public final class RestfulServerClient {

	public static final String BASE = "http://localhost/fhir";

	private final RestfulServer server;
	/** Sent with every request (an {@code Authorization} header), before the request's own. */
	private final List<String> defaultHeaders;

	public RestfulServerClient(RestfulServer server) {
		this(server, List.of());
		try {
			server.init(new MockServletConfig(new MockServletContext(), "fhir"));
		} catch (ServletException e) {
			throw new IllegalStateException(e);
		}
	}

	private RestfulServerClient(RestfulServer server, List<String> defaultHeaders) {
		this.server = server;
		this.defaultHeaders = List.copyOf(defaultHeaders);
	}

	/** This client, sending these header pairs with every request as well (the server is not initialized again). */
	public RestfulServerClient withHeaders(String... headers) {
		List<String> all = new ArrayList<>(defaultHeaders);
		all.addAll(List.of(headers));
		return new RestfulServerClient(server, all);
	}

	/** A form POST ({@code application/x-www-form-urlencoded}), its fields handed over as a container does. */
	public Answer postForm(String path, Map<String, String> fields) {
		MockHttpServletRequest request = request("POST", path);
		request.setContentType("application/x-www-form-urlencoded");
		StringBuilder body = new StringBuilder();
		fields.forEach((name, value) -> {
			request.addParameter(name, value);
			body.append(body.isEmpty() ? "" : "&").append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
					.append(URLEncoder.encode(value, StandardCharsets.UTF_8));
		});
		request.setContent(body.toString().getBytes(StandardCharsets.UTF_8));
		return service(request);
	}

	/** An answer: status, headers, body. */
	public record Answer(int status, MockHttpServletResponse response, String body) {
		public String header(String name) {
			return response.getHeader(name);
		}

		public String contentType() {
			String type = response.getContentType();
			return type == null ? null : type.split(";")[0].strip();
		}
	}

	public Answer get(String pathAndQuery, String... headers) {
		return send("GET", pathAndQuery, null, headers);
	}

	public Answer post(String pathAndQuery, String body, String... headers) {
		return send("POST", pathAndQuery, body, headers);
	}

	public Answer delete(String pathAndQuery, String... headers) {
		return send("DELETE", pathAndQuery, null, headers);
	}

	/**
	 * @param pathAndQuery relative to the server base ({@code Patient/$export?_type=Patient}) or a full URL under it
	 * @param headers      name, value, name, value, ...
	 */
	public Answer send(String method, String pathAndQuery, String body, String... headers) {
		String relative = pathAndQuery.startsWith(BASE) ? pathAndQuery.substring(BASE.length() + 1) : pathAndQuery;
		int question = relative.indexOf('?');
		String path = question < 0 ? relative : relative.substring(0, question);
		String query = question < 0 ? null : relative.substring(question + 1);
		MockHttpServletRequest request = request(method, path);
		request.setQueryString(query);
		if (query != null) {
			// What a container hands over for a POST (HAPI parses a GET's query string itself).
			for (String pair : query.split("&")) {
				String[] nameValue = pair.split("=", 2);
				try {
					request.addParameter(decode(nameValue[0]), nameValue.length > 1 ? decode(nameValue[1]) : "");
				} catch (IllegalArgumentException e) {
					// an undecodable pair: containers drop it
				}
			}
		}
		for (int i = 0; i + 1 < headers.length; i += 2) {
			request.addHeader(headers[i], headers[i + 1]);
			if (headers[i].equalsIgnoreCase("Content-Type")) {
				request.setContentType(headers[i + 1]);
			}
		}
		if (body != null) {
			request.setContent(body.getBytes(StandardCharsets.UTF_8));
			if (request.getContentType() == null) {
				request.setContentType("application/fhir+json");
			}
		}
		return service(request);
	}

	private MockHttpServletRequest request(String method, String path) {
		MockHttpServletRequest request = new MockHttpServletRequest(method, "/fhir/" + path);
		request.setServletPath("/fhir");
		request.setPathInfo("/" + path);
		for (int i = 0; i + 1 < defaultHeaders.size(); i += 2) {
			request.addHeader(defaultHeaders.get(i), defaultHeaders.get(i + 1));
		}
		return request;
	}

	private Answer service(MockHttpServletRequest request) {
		MockHttpServletResponse response = new MockHttpServletResponse();
		try {
			server.service(request, response);
			return new Answer(response.getStatus(), response, response.getContentAsString(StandardCharsets.UTF_8));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		} catch (ServletException e) {
			throw new IllegalStateException(e);
		}
	}

	private static String decode(String text) {
		return URLDecoder.decode(text, StandardCharsets.UTF_8);
	}

	/** Header pairs of a conformant kick-off. */
	public static String[] kickOffHeaders(String... more) {
		List<String> all = new ArrayList<>(List.of("Accept", "application/fhir+json", "Prefer", "respond-async"));
		all.addAll(List.of(more));
		return all.toArray(String[]::new);
	}
}
