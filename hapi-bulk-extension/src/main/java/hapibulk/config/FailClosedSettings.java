package hapibulk.config;

import hapibulk.auth.AuthMode;
import hapibulk.support.BulkErrors;
import hapibulk.support.ServerBaseUrl;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Settings the server does not start without (fail closed). In a Spring Boot host they are checked here, before
 * the application context is made: the operator learns it in seconds, not after HAPI's JPA start (most of a
 * start's time), and HAPI has not touched the database yet. The bean that needs the setting checks again
 * ({@link BulkAuthConfiguration#hapiBulkServerBaseUrl}), for hosts that are not Boot applications.
 */
public class FailClosedSettings implements EnvironmentPostProcessor {

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!environment.getProperty(BulkProperties.PREFIX + ".enabled", Boolean.class, false)) {
			return;
		}
		Binder binder = Binder.get(environment);
		// The library's default mode is smart (AuthSettings).
		AuthMode mode = binder.bind(BulkProperties.PREFIX + ".auth.mode", AuthMode.class).orElse(AuthMode.SMART);
		requireServerBaseUrl(mode, binder.bind(ServerBaseUrl.SETTING, String.class).map(url -> !url.isBlank())
				.orElse(false));
	}

	/**
	 * Mode smart needs {@code hapi.bulk.server-base-url}: without it the token URL that client assertions must name
	 * ({@code aud}), the discovery document and the status and file URLs would follow each request's Host header,
	 * and an assertion made for another server could be replayed here with a forged Host.
	 */
	static void requireServerBaseUrl(AuthMode mode, boolean configured) {
		if (!configured && mode == AuthMode.SMART) {
			throw new IllegalStateException(BulkErrors.code(360) + "hapi.bulk.auth.mode=smart needs "
					+ ServerBaseUrl.SETTING + ", the public FHIR base URL clients use (e.g. https://fhir.example.org/fhir):"
					+ " without it the token URL that client assertions must name (aud), the discovery document and every"
					+ " status and file URL would follow each request's Host header, so an assertion made for another"
					+ " server could be replayed here with a forged Host");
		}
	}
}
