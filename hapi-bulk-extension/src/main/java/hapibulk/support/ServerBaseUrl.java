package hapibulk.support;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Locale;

/**
 * The FHIR base URL that every URL we hand out starts with ({@code hapi.bulk.server-base-url}).
 * When it is set, the request's {@code Host} header (and {@code X-Forwarded-*}) has no say: a
 * client cannot make the token endpoint accept an assertion made for another server, nor make
 * status, manifest or discovery URLs point elsewhere. When unset, the base is the URL the request
 * came in by, as HAPI sees it (fine behind a trusted proxy that sets Host, risky otherwise).
 * {@link #applyTo} makes HAPI's own URLs (Bundle links, {@code Location}, the CapabilityStatement's
 * {@code implementation.url}) follow it too: a client following a paging link forged by Host would
 * send its bearer token to that host.
 */
public final class ServerBaseUrl {

	private static final Logger LOG = LoggerFactory.getLogger(ServerBaseUrl.class);

	public static final String SETTING = "hapi.bulk.server-base-url";

	/** The configured base without a trailing slash, or null. */
	private final String configured;

	public ServerBaseUrl(String configured) {
		this.configured = normalize(configured);
	}

	/** Taken from each request (no setting). */
	public static ServerBaseUrl fromRequests() {
		return new ServerBaseUrl(null);
	}

	public boolean configured() {
		return configured != null;
	}

	/** The base for a request HAPI has parsed. */
	public String of(RequestDetails request) {
		return configured != null ? withTenant(request) : stripSlash(request.getFhirServerBase());
	}

	/**
	 * The configured base as the request's tenant sees it: with URL-based tenants ({@code [base]/TENANT/...}) with the
	 * tenant, where HAPI's tenant strategy put it into the base it takes from the request.
	 */
	private String withTenant(RequestDetails request) {
		String tenant = request.getTenantId();
		String requestBase = request.getFhirServerBase();
		if (tenant != null && requestBase != null && stripSlash(requestBase).endsWith("/" + tenant)) {
			return configured + "/" + tenant;
		}
		return configured;
	}

	/** The base for a raw servlet request (the endpoints served before HAPI parses the path). */
	public String of(HttpServletRequest request) {
		if (configured != null) {
			return configured;
		}
		String url = request.getRequestURL().toString();
		String pathInfo = request.getPathInfo();
		if (pathInfo != null && url.endsWith(pathInfo)) {
			url = url.substring(0, url.length() - pathInfo.length());
		}
		return stripSlash(url);
	}

	/** The request's complete URL under this base (the manifest's {@code request}). */
	public String requestUrl(RequestDetails request) {
		String complete = request.getCompleteUrl();
		if (configured == null || complete == null) {
			return complete;
		}
		int query = complete.indexOf('?');
		String path = request.getRequestPath() == null ? "" : request.getRequestPath();
		String base = withTenant(request);
		if (!base.equals(configured) && path.startsWith(request.getTenantId() + "/")) {
			// HAPI's request path still starts with the URL's tenant, which the base now holds
			path = path.substring(request.getTenantId().length() + 1);
		}
		return base + "/" + path + (query < 0 ? "" : complete.substring(query));
	}

	/** Makes HAPI build its own URLs on the configured base (nothing when unset, or when the host hard-coded one). */
	public void applyTo(RestfulServer server) {
		if (configured == null) {
			return;
		}
		if (server.getServerAddressStrategy() instanceof HardcodedServerAddressStrategy hostStrategy) {
			if (!configured.equals(stripSlash(hostStrategy.getValue()))) {
				LOG.warn("The host hard-coded the FHIR base {} (e.g. hapi.fhir.server_address), while {}={}: HAPI's own"
						+ " links use the host's, ours use {}", hostStrategy.getValue(), SETTING, configured, SETTING);
			}
			return;
		}
		server.setServerAddressStrategy(new HardcodedServerAddressStrategy(configured));
	}

	private static String normalize(String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		String base = stripSlash(value.trim());
		URI uri;
		try {
			uri = URI.create(base);
		} catch (IllegalArgumentException e) {
			throw new IllegalArgumentException(SETTING + " is not a URL: " + value, e);
		}
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
		if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null || uri.getRawQuery() != null
				|| uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
			throw new IllegalArgumentException(SETTING + " must be an absolute http(s) URL without query, fragment or"
					+ " user info, such as https://fhir.example.org/fhir; it is: " + value);
		}
		return base;
	}

	private static String stripSlash(String url) {
		if (url == null) {
			return null;
		}
		String result = url;
		while (result.endsWith("/")) {
			result = result.substring(0, result.length() - 1);
		}
		return result;
	}
}
