package hapibulk.admin;

import hapibulk.support.BulkErrors;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Serves the operators' job page: three static files from the library and a small {@code config.json} (where
 * the FHIR server is, whether the page must ask for a token). The page holds no secret and no data: it calls
 * {@code $bulk-jobs} with whatever token the operator pastes, and the API decides.
 * <p>
 * On a host with URL-based tenants the page is per tenant: {@code /bulk-admin/?tenant=A} asks for
 * {@code config.json?tenant=A}, whose {@code fhirBase} is then {@code [fhir base]/A}, so the list and every cancel go
 * through the tenant's own URL (the API shows each tenant its own jobs only). The tenant must be a HAPI partition
 * name (letters, digits, {@code _} and {@code -}), so it goes into the URL as it is; anything else is refused here.
 */
public class AdminPageServlet extends HttpServlet {

	private static final String RESOURCES = "/hapibulk/admin/page/";
	private static final Map<String, String> FILES = Map.of(
			"/", "index.html", "/index.html", "index.html", "/admin.js", "admin.js", "/admin.css", "admin.css");
	private static final Map<String, String> TYPES = Map.of(
			"html", "text/html", "js", "text/javascript", "css", "text/css");

	/** HAPI's own rule for partition names (PartitionLookupSvcImpl), and a bound on their length. */
	private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,200}");

	private final String fhirPath;
	private final boolean askForToken;
	private final BooleanSupplier tenants;

	/**
	 * @param fhirPath    the FHIR server's path under the context path ({@code /fhir})
	 * @param askForToken whether the API needs a bearer token (every auth mode but none)
	 */
	public AdminPageServlet(String fhirPath, boolean askForToken) {
		this(fhirPath, askForToken, () -> false);
	}

	/**
	 * @param tenants whether the host has tenants (HAPI partitions): then the page offers a tenant, and
	 *                {@code ?tenant=} is taken
	 */
	public AdminPageServlet(String fhirPath, boolean askForToken, BooleanSupplier tenants) {
		this.fhirPath = fhirPath;
		this.askForToken = askForToken;
		this.tenants = tenants;
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
			config(request, response);
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

	/**
	 * Where the FHIR server is (with the tenant's segment when a tenant is asked for) and whether to ask for a
	 * token; unchanged on a host without tenants.
	 */
	private void config(HttpServletRequest request, HttpServletResponse response) throws IOException {
		response.setContentType("application/json");
		response.setCharacterEncoding("UTF-8");
		response.setHeader("Cache-Control", "no-store");
		String tenant = request.getParameter("tenant");
		boolean withTenants = tenants.getAsBoolean();
		if (tenant != null && (!withTenants || !TENANT.matcher(tenant).matches())) {
			response.setStatus(400);
			String text = withTenants ? BulkErrors.code(805) + "The tenant must be a partition name: letters, digits, _ and -"
					: BulkErrors.code(806) + "This server has no tenants: open the page without ?tenant=";
			var outcome = AdminJobJson.MAPPER.createObjectNode().put("resourceType", "OperationOutcome");
			outcome.putArray("issue").addObject().put("severity", "error").put("code", "invalid").put("diagnostics",
					text);
			response.getWriter().write(outcome.toString());
			return;
		}
		String fhirBase = request.getContextPath() + fhirPath + (tenant == null ? "" : "/" + tenant);
		var config = AdminJobJson.MAPPER.createObjectNode().put("fhirBase", fhirBase).put("askForToken", askForToken);
		if (withTenants) {
			config.put("tenants", true);
			if (tenant != null) {
				config.put("tenant", tenant);
			}
		}
		response.getWriter().write(config.toString());
	}

	/** Only the page's own scripts and styles, only its own origin, never in a frame. */
	private static void securityHeaders(HttpServletResponse response) {
		response.setHeader("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
				+ " connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
		response.setHeader("X-Content-Type-Options", "nosniff");
		response.setHeader("Referrer-Policy", "no-referrer");
	}
}
