package hapibulk.server;

import ca.uhn.fhir.jpa.entity.PartitionEntity;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IPartitionLookupSvc;
import ca.uhn.fhir.jpa.partition.PartitionManagementProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.interceptor.partition.RequestTenantPartitionInterceptor;
import ca.uhn.fhir.rest.server.tenant.UrlBaseTenantIdentificationStrategy;
import org.springframework.core.env.Environment;

import java.util.List;
import java.util.regex.Pattern;

/**
 * URL-based tenants ({@code /fhir/TENANT/...}) over HAPI partitions, as hapi-fhir-jpaserver-starter turns them on
 * with its {@code hapi.fhir.partitioning} settings: HAPI's {@link UrlBaseTenantIdentificationStrategy} and
 * {@link RequestTenantPartitionInterceptor} on the RestfulServer, and HAPI's partition management operations
 * ({@code /fhir/DEFAULT/$partition-management-create-partition}). Off unless
 * {@code hapi.fhir.partitioning.enabled=true}.
 */
final class UrlTenants {

	static final String PREFIX = "hapi.fhir.partitioning.";
	/** HAPI's partition names are free text; the sample's tenants are URL path segments. */
	private static final Pattern TENANT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

	private final Environment environment;

	UrlTenants(Environment environment) {
		this.environment = environment;
	}

	boolean enabled() {
		return environment.getProperty(PREFIX + "enabled", Boolean.class, false);
	}

	/**
	 * HAPI's partitioning, as the starter sets it: references stay inside their partition, the partition is a
	 * column of the search indexes (not hashed into them). In database partition mode the partition id is part of
	 * every key, so two tenants may hold the same resource ids; it has to be chosen before the schema is made.
	 */
	PartitionSettings partitionSettings() {
		PartitionSettings settings = new PartitionSettings();
		if (enabled()) {
			settings.setPartitioningEnabled(true);
			settings.setAllowReferencesAcrossPartitions(PartitionSettings.CrossPartitionReferenceMode.NOT_ALLOWED);
			settings.setIncludePartitionInSearchHashes(false);
			if (environment.getProperty(PREFIX + "database_partition_mode_enabled", Boolean.class, false)) {
				settings.setDatabasePartitionMode(true);
				settings.setDefaultPartitionId(0);
			}
		}
		return settings;
	}

	void register(RestfulServer server, RequestTenantPartitionInterceptor tenantInterceptor,
			PartitionManagementProvider partitionManagement) {
		server.setTenantIdentificationStrategy(new UrlBaseTenantIdentificationStrategy());
		server.registerInterceptor(tenantInterceptor);
		server.registerProvider(partitionManagement);
	}

	/**
	 * Makes the partitions {@code hapi.fhir.partitioning.tenants} names (ids 1, 2, ... in that order) unless they exist,
	 * so that a server in auth mode smart, where HAPI's partition management operations are refused, has its tenants.
	 */
	void createListedTenants(IPartitionLookupSvc partitions) {
		List<String> names = List.of(environment.getProperty(PREFIX + "tenants", String[].class, new String[0]));
		for (int i = 0; i < names.size(); i++) {
			String name = names.get(i).strip();
			if (!TENANT_NAME.matcher(name).matches() || name.equals("DEFAULT")) {
				throw new IllegalStateException(PREFIX + "tenants: \"" + name + "\" is not a tenant name (letters,"
						+ " digits, '-' and '_', at most 64; DEFAULT exists already)");
			}
			try {
				partitions.getPartitionByName(name);
			} catch (ResourceNotFoundException absent) {
				PartitionEntity partition = new PartitionEntity();
				partition.setId(i + 1);
				partition.setName(name);
				partitions.createPartition(partition, new SystemRequestDetails());
			}
		}
	}
}
