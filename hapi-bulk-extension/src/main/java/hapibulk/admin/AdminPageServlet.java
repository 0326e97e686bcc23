package hapibulk.admin;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Serves the operators' job page: three static files from the library and a small {@code config.json} (where
 * the FHIR server is, whether the page must ask for a token). The page holds no secret and no data: it calls
 * {@code $bulk-jobs} with whatever token the operator pastes, and the API decides.
 */
public class AdminPageServlet extends HttpServlet {

	private static final String RESOURCES = "/hapibulk/admin/page/";
	private static final Map<String, String> FILES = Map.of(
			"/", "index.html", "/index.html", "index.html", "/admin.js", "admin.js", "/admin.css", "admin.css");
	private static final Map<String, String> TYPES = Map.of(
			"html", "text/html", "js", "text/javascript", "css", "text/css");

	private final String fhirPath;
	private final boolean askForToken;

	/**
	 * @param fhirPath    the FHIR server's path under the context path ({@code /fhir})
	 * @param askForToken whether the API needs a bearer token (every auth mode but none)
	 */
	public AdminPageServlet(String fhirPath, boolean askForToken) {
		this.fhirPath = fhirPath;
		this.askForToken = askForToken;
	}

	@Override
	protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
		String path = request.getPathInfo() == null ? "" : request.getPathInfo();
		if (path.isEmpty()) {
			// relative links in the page need the trailing slash
			response.sendRedirect(request.getRequestURI() + "/");
			return;
		}
		securityHeaders(response);
		if (path.equals("/config.json")) {
			response.setContentType("application/json");
			response.setCharacterEncoding("UTF-8");
			response.setHeader("Cache-Control", "no-store");
			String fhirBase = request.getContextPath() + fhirPath;
			response.getWriter().write(AdminJobJson.MAPPER.createObjectNode().put("fhirBase", fhirBase)
					.put("askForToken", askForToken).toString());
			return;
		}
		String file = FILES.get(path);
		InputStream in = file == null ? null : AdminPageServlet.class.getResourceAsStream(RESOURCES + file);
		if (in == null) {
			response.sendError(404);
			return;
		}
		try (in) {
			response.setContentType(TYPES.get(file.substring(file.lastIndexOf('.') + 1)));
			response.setCharacterEncoding(StandardCharsets.UTF_8.name());
			response.setHeader("Cache-Control", "no-cache");
			in.transferTo(response.getOutputStream());
		}
	}

	/** Only the page's own scripts and styles, only its own origin, never in a frame. */
	private static void securityHeaders(HttpServletResponse response) {
		response.setHeader("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
				+ " connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
		response.setHeader("X-Content-Type-Options", "nosniff");
		response.setHeader("Referrer-Policy", "no-referrer");
	}
}
