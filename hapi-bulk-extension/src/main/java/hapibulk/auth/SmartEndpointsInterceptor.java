package hapibulk.auth;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkJson;
import hapibulk.support.ServerBaseUrl;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Serves {@code [base]/.well-known/smart-configuration} and the token endpoint
 * {@code [base]/auth/token} from inside the FHIR servlet, before HAPI parses the path: so they work
 * wherever the RestfulServer runs (java -jar, Tomcat, a plain HAPI host) without a servlet filter.
 */
@Interceptor
public class SmartEndpointsInterceptor {

	public static final String WELL_KNOWN = ".well-known/smart-configuration";
	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final TokenEndpoint tokenEndpoint;
	private final ServerBaseUrl baseUrl;

	public SmartEndpointsInterceptor(TokenEndpoint tokenEndpoint, ServerBaseUrl baseUrl) {
		this.tokenEndpoint = tokenEndpoint;
		this.baseUrl = baseUrl;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_PROCESSED)
	public boolean serve(HttpServletRequest request, HttpServletResponse response) throws IOException {
		String path = relativePath(request);
		if (WELL_KNOWN.equals(path)) {
			// Its URLs may follow the request's Host (no server-base-url): no shared cache may keep one client's copy.
			response.setHeader("Cache-Control", "no-store");
			if (!"GET".equals(request.getMethod())) {
				response.setHeader("Allow", "GET");
				writeJson(response, 405, error("invalid_request", "Use GET"));
			} else {
				writeJson(response, 200, SmartConfiguration.of(baseUrl.of(request)));
			}
			return false;
		}
		if (TokenEndpoint.PATH.equals(path)) {
			token(request, response);
			return false;
		}
		return true;
	}

	private void token(HttpServletRequest request, HttpServletResponse response) throws IOException {
		response.setHeader("Cache-Control", "no-store");
		response.setHeader("Pragma", "no-cache");
		if (!"POST".equals(request.getMethod())) {
			response.setHeader("Allow", "POST");
			writeJson(response, 405, error("invalid_request", "The token endpoint takes POST"));
			return;
		}
		String contentType = request.getContentType();
		if (contentType == null
				|| !contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
			writeJson(response, 400, error("invalid_request", "Send application/x-www-form-urlencoded"));
			return;
		}
		Map<String, String> form = new HashMap<>();
		request.getParameterMap().forEach((name, values) -> form.put(name, values.length == 1 ? values[0] : null));
		try {
			TokenEndpoint.TokenResponse token = tokenEndpoint.token(form, baseUrl.of(request) + "/" + TokenEndpoint.PATH,
					request.getRemoteAddr());
			ObjectNode body = JSON.createObjectNode();
			body.put("access_token", token.accessToken());
			body.put("token_type", "bearer");
			body.put("expires_in", token.expiresIn());
			body.put("scope", token.scope());
			writeJson(response, 200, body);
		} catch (OAuthError e) {
			if (e.retryAfterSeconds() > 0) {
				response.setHeader("Retry-After", Long.toString(e.retryAfterSeconds()));
			}
			writeJson(response, e.status(), error(e.error(), e.getMessage()));
		}
	}

	private static ObjectNode error(String error, String description) {
		ObjectNode body = JSON.createObjectNode();
		body.put("error", error);
		body.put("error_description", description);
		return body;
	}

	private static void writeJson(HttpServletResponse response, int status, Object body) throws IOException {
		response.setStatus(status);
		response.setContentType("application/json");
		response.setCharacterEncoding("UTF-8");
		JSON.writeValue(response.getWriter(), body);
	}

	/** The path below the FHIR base ({@code auth/token}), without leading or trailing slashes. */
	static String relativePath(HttpServletRequest request) {
		String path = request.getPathInfo();
		if (path == null) {
			return "";
		}
		while (path.startsWith("/")) {
			path = path.substring(1);
		}
		while (path.endsWith("/")) {
			path = path.substring(0, path.length() - 1);
		}
		return path;
	}
}
