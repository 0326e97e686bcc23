package hapibulk.config;

import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.AccessTokens;
import hapibulk.auth.AuthMode;
import hapibulk.auth.AuthSettings;
import hapibulk.auth.BearerAuthenticationInterceptor;
import hapibulk.auth.BulkAuthorization;
import hapibulk.auth.ClientAssertionVerifier;
import hapibulk.auth.ExternalTokens;
import hapibulk.auth.JtiReplayGuard;
import hapibulk.auth.JwksCache;
import hapibulk.auth.RegisteredClients;
import hapibulk.auth.ScopeAuthorizationInterceptor;
import hapibulk.auth.SmartCapabilityStatementInterceptor;
import hapibulk.auth.SmartEndpointsInterceptor;
import hapibulk.auth.TokenEndpoint;
import hapibulk.auth.TokenVerifier;
import hapibulk.auth.RateLimiter;
import hapibulk.auth.SearchReach;
import hapibulk.auth.TokenRefusals;
import hapibulk.deid.DeidProfiles;
import hapibulk.job.BulkSchemaInitializer;
import hapibulk.metrics.BulkMetrics;
import hapibulk.support.fhir.FhirVersionSupport;
import hapibulk.support.ServerBaseUrl;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** SMART Backend Services authorization and the audit trail ({@code hapi.bulk.auth.*}). */
@Configuration(proxyBeanMethods = false)
public class BulkAuthConfiguration {

	private static final Logger LOG = LoggerFactory.getLogger(BulkAuthConfiguration.class);

	/** The interceptors authorization puts on the RestfulServer (none in mode none). */
	public record AuthInterceptors(List<Object> interceptors) {}

	@Bean(destroyMethod = "close")
	public BulkAudit hapiBulkAudit(ObjectProvider<DaoRegistry> daoRegistry, BulkProperties properties,
			FhirVersionSupport fhirVersion, ObjectProvider<PartitionSettings> partitionSettings) {
		PartitionSettings partitions = partitionSettings.getIfAvailable();
		return new BulkAudit(properties.audit().storeEvents() ? daoRegistry.getIfAvailable() : null, fhirVersion,
				Clock.systemUTC(), partitions != null && partitions.isPartitioningEnabled()
						? RequestPartitionId.defaultPartition(partitions) : null);
	}

	/**
	 * The base of every URL handed out, and of the token URL assertions must name ({@code hapi.bulk.server-base-url}).
	 * Required in mode smart: without it that token URL, the discovery document and the status and file URLs would
	 * follow each request's Host header, and an assertion made for another server could be replayed here with a
	 * forged Host. The server refuses to start rather than run so (fail closed); a Boot host has refused already,
	 * before its context was made ({@link FailClosedSettings}).
	 */
	@Bean
	public ServerBaseUrl hapiBulkServerBaseUrl(BulkProperties properties) {
		ServerBaseUrl baseUrl = new ServerBaseUrl(properties.serverBaseUrl());
		FailClosedSettings.requireServerBaseUrl(properties.auth().mode(), baseUrl.configured());
		return baseUrl;
	}

	/** What a search's parameters reach ({@code _has}, chains, includes), checked against the token's scopes. */
	@Bean
	public SearchReach hapiBulkSearchReach(FhirContext fhirContext, ObjectProvider<ISearchParamRegistry> registry) {
		return new SearchReach(fhirContext, registry.getIfAvailable());
	}

	@Bean
	public BulkAuthorization hapiBulkAuthorization(BulkProperties properties) {
		return new BulkAuthorization(properties.auth());
	}

	@Bean
	public AuthInterceptors hapiBulkAuthInterceptors(BulkProperties properties, FhirContext fhirContext,
			DataSource dataSource, BulkSchemaInitializer schema, BulkAudit audit, ServerBaseUrl baseUrl,
			SearchReach searchReach, BulkMetrics metrics, DeidProfiles deidProfiles) {
		AuthSettings auth = properties.auth();
		Set<String> types = fhirContext.getResourceTypes();
		List<Object> interceptors = new ArrayList<>();
		TokenVerifier verifier;
		switch (auth.mode()) {
			case NONE -> {
				LOG.warn("hapi.bulk.auth.mode=none: NO AUTHORIZATION. Anyone who can reach this server can read, change"
						+ " and bulk-export all of its data. Set hapi.bulk.auth.mode=smart and register clients"
						+ " (hapi.bulk.auth.clients[n].*) before real data goes in.");
				return new AuthInterceptors(List.of());
			}
			case EXTERNAL -> verifier = new ExternalTokens(auth.external(), types);
			default -> {
				RegisteredClients clients = new RegisteredClients(auth.clients(), types,
						name -> deidProfiles.usableNames().contains(name));
				AccessTokens tokens = new AccessTokens(auth.signingKey(), auth.tokenLifetime(), types, Clock.systemUTC());
				AuthSettings.TokenLimits limits = auth.tokenLimits();
				ClientAssertionVerifier assertions = new ClientAssertionVerifier(clients,
						new JwksCache(Clock.systemUTC(), limits.jwksRefetchInterval(), limits.jwksFetchTimeout(), metrics),
						new JtiReplayGuard(new JdbcTemplate(dataSource), Clock.systemUTC()), Clock.systemUTC());
				interceptors.add(new SmartEndpointsInterceptor(new TokenEndpoint(assertions, tokens, types, audit, clients,
						new RateLimiter(limits.perAddressPerMinute(), 100_000, Clock.systemUTC()),
						new RateLimiter(limits.perClientPerMinute(), 100_000, Clock.systemUTC()),
						new TokenRefusals(audit, limits.refusalAuditInterval(), Clock.systemUTC(), metrics), metrics),
						baseUrl));
				interceptors.add(new SmartCapabilityStatementInterceptor(baseUrl));
				// A client's binding to a de-identification profile is read from its registration on every request,
				// so that binding a client takes effect on its next request, not when its tokens expire.
				verifier = token -> tokens.verify(token).map(grant -> grant.withDeidProfile(
						clients.find(grant.clientId()).map(RegisteredClients.Registered::deidProfile).orElse(null)));
				if (clients.size() == 0) {
					LOG.warn("hapi.bulk.auth.mode=smart with no registered clients: every token request is refused,"
							+ " so no client can use the FHIR API. Register clients under hapi.bulk.auth.clients[n].*");
				} else {
					LOG.info("SMART Backend Services on: {} registered client(s), access tokens live {} s", clients.size(),
							tokens.lifetime().toSeconds());
				}
			}
		}
		interceptors.add(new BearerAuthenticationInterceptor(verifier));
		interceptors.add(new ScopeAuthorizationInterceptor(searchReach));
		if (auth.mode() == AuthMode.EXTERNAL) {
			LOG.info("Access tokens from the external authorization server {}", auth.external().issuer());
		}
		return new AuthInterceptors(List.copyOf(interceptors));
	}
}
