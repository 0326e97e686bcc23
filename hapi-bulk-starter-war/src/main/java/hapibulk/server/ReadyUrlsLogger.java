package hapibulk.server;

import hapibulk.admin.AdminPageSettings;
import hapibulk.config.BulkProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.web.ServerProperties;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.boot.web.server.Ssl;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;
import org.springframework.web.context.WebApplicationContext;

import java.net.InetAddress;

/**
 * Once the server is ready, one INFO line says where it answers: the FHIR base and the job page. A first user
 * reads them there instead of guessing; they come from the port and context path the server actually got
 * ({@code --server.port=0} included), and the FHIR base from {@code hapi.bulk.server-base-url} when that is set.
 */
@Component
class ReadyUrlsLogger implements ApplicationListener<ApplicationReadyEvent> {

	private static final Logger LOG = LoggerFactory.getLogger(ReadyUrlsLogger.class);

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		ApplicationContext context = event.getApplicationContext();
		BulkProperties bulk = context.getBeanProvider(BulkProperties.class).getIfAvailable();
		LOG.info(message(serverRoot(context), bulk == null ? null : bulk.serverBaseUrl(),
				bulk == null ? null : bulk.adminPage()));
	}

	/**
	 * @param root          scheme://host:port and context path of the embedded server, or only the context path in
	 *                      an outside servlet container (whose address the application does not know)
	 * @param serverBaseUrl hapi.bulk.server-base-url, or null
	 * @param page          the job page's settings, or null when the extension is off
	 */
	static String message(String root, String serverBaseUrl, AdminPageSettings page) {
		String configured = serverBaseUrl == null || serverBaseUrl.isBlank() ? null : stripSlashes(serverBaseUrl);
		String fhirBase = configured != null ? configured : root + FhirServerConfig.FHIR_PATH;
		String jobPage;
		if (page == null || !page.enabled()) {
			jobPage = "off (hapi.bulk.admin-page.enabled=false)";
		} else {
			// The page lies beside the FHIR servlet: under the public base's root when that ends with the FHIR path.
			String pageRoot = configured != null && configured.endsWith(FhirServerConfig.FHIR_PATH)
					? configured.substring(0, configured.length() - FhirServerConfig.FHIR_PATH.length()) : root;
			jobPage = pageRoot + stripSlashes(page.path()) + "/";
		}
		String where = root.startsWith("http") || configured != null ? "" : " (under this servlet container's address)";
		return "hapi-bulk sample server ready: FHIR base " + fhirBase + ", job page " + jobPage + where;
	}

	private static String serverRoot(ApplicationContext context) {
		String contextPath = context instanceof WebApplicationContext web && web.getServletContext() != null
				? web.getServletContext().getContextPath() : "";
		if (!(context instanceof WebServerApplicationContext server) || server.getWebServer() == null) {
			return contextPath;
		}
		ServerProperties properties = context.getBeanProvider(ServerProperties.class).getIfAvailable();
		boolean tls = properties != null && Ssl.isEnabled(properties.getSsl());
		InetAddress address = properties == null ? null : properties.getAddress();
		String host = address == null || address.isAnyLocalAddress() ? "localhost"
				: address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
		return (tls ? "https" : "http") + "://" + host + ":" + server.getWebServer().getPort() + contextPath;
	}

	private static String stripSlashes(String url) {
		return url.replaceAll("/+$", "");
	}
}
