package hapibulk.tenant;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.partition.IRequestPartitionHelperSvc;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.audit.AuditRecord;
import hapibulk.support.BulkErrors;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The one place that asks HAPI which partition a bulk request is in, and decides whether a request may see a job
 * of a tenant. HAPI decides, never us: its {@link IRequestPartitionHelperSvc} runs the host's
 * {@code STORAGE_PARTITION_IDENTIFY_*} interceptors (the JPA starter's URL-based tenants among them) and
 * normalizes the answer to names and ids. On an unpartitioned host every method answers "no tenant" (null) and
 * every job is visible, as before tenants existed.
 * <p>
 * The administrator's view: a request HAPI identifies with every partition ({@code RequestPartitionId.allPartitions()},
 * e.g. from a host interceptor for an operator) sees every tenant's jobs, and its export reads every partition.
 * Nothing else crosses tenants: the DEFAULT partition is a tenant like any other.
 */
public class Tenants {

	private final PartitionSettings settings;
	private final IRequestPartitionHelperSvc helper;
	private final FhirContext fhirContext;

	/** @param helper HAPI's partition helper; may be null when partitioning is off */
	public Tenants(PartitionSettings settings, IRequestPartitionHelperSvc helper, FhirContext fhirContext) {
		this.settings = settings;
		this.helper = helper;
		this.fhirContext = fhirContext;
	}

	/** An unpartitioned host's: no tenants. */
	public static Tenants none() {
		return new Tenants(null, null, null);
	}

	public boolean enabled() {
		return settings != null && settings.isPartitioningEnabled() && helper != null;
	}

	/**
	 * The partitions an {@code $export} reads: what HAPI lets this request read, as it decides for a search of the
	 * type at Patient and Group level ({@code Patient/$export}, {@code Group/[id]/$export}), and for a server
	 * operation at system level. Null when partitioning is off.
	 *
	 * @param resourceType the level's type, or null at system level
	 */
	public Tenant forExport(RequestDetails request, String resourceType) {
		if (!enabled()) {
			return null;
		}
		RequestPartitionId partition = resourceType == null
				? helper.determineReadPartitionForRequestForServerOperation(request, "$export")
				: helper.determineReadPartitionForRequestForSearchType(request, resourceType);
		return remember(request, normalized(partition));
	}

	/**
	 * The partition an {@code $import} writes into: what HAPI chooses for a create of each input's type in this
	 * request. Every type must land in one partition (BULK-0801 otherwise): an import job has one tenant.
	 */
	public Tenant forImport(RequestDetails request, Collection<String> types) {
		if (!enabled()) {
			return null;
		}
		Map<String, Tenant> byType = new LinkedHashMap<>();
		for (String type : new TreeSet<>(types)) {
			IBaseResource blank = fhirContext.getResourceDefinition(type).newInstance();
			byType.put(type, normalized(helper.determineCreatePartitionForRequest(request, blank, type)));
		}
		if (byType.values().stream().map(Tenant::key).distinct().count() > 1) {
			Map<String, String> keys = new LinkedHashMap<>();
			byType.forEach((type, tenant) -> keys.put(type, tenant.key()));
			throw new InvalidRequestException(BulkErrors.code(801) + "The inputs' types are stored in different"
					+ " partitions on this server " + keys + ": import them in one request per partition");
		}
		Tenant tenant = byType.values().stream().findFirst().orElse(null);
		if (tenant != null && tenant.allPartitions()) {
			throw new InvalidRequestException(BulkErrors.code(802) + "This request names no partition to write into:"
					+ " kick off the import under a tenant");
		}
		// The job belongs to the partition it writes into: it must be the request's own, or the tenant could not
		// follow its job (types HAPI never partitions go to DEFAULT whatever the tenant).
		Tenant own = normalized(helper.determineReadPartitionForRequestForServerOperation(request, "$import"));
		if (tenant != null && !own.allPartitions() && !own.key().equals(tenant.key())) {
			throw new InvalidRequestException(BulkErrors.code(803) + "HAPI stores these input types in partition "
					+ tenant.key() + ", not in this request's " + own.key() + ": import them under that tenant");
		}
		return remember(request, tenant);
	}

	/**
	 * The tenant of a request about a job (status, cancel, download, the job list), as HAPI identifies a read by
	 * this server operation; null when partitioning is off.
	 */
	public Tenant ofRequest(RequestDetails request, String operation) {
		if (!enabled()) {
			return null;
		}
		try {
			return remember(request, normalized(helper.determineReadPartitionForRequestForServerOperation(request,
					operation)));
		} catch (InternalErrorException e) {
			// hapi-fhir #6665: a host's STORAGE_PARTITION_IDENTIFY_ANY (or _READ) hook that names no partition for a
			// request without a resource type (HAPI-1319). Polling must not break on it: the URL's tenant then
			// decides, and without one the request is of no tenant (it sees no job).
			if (!String.valueOf(e.getMessage()).contains(NO_PARTITION_CODE)) {
				throw e;
			}
			if (request.getTenantId() == null) {
				return null;
			}
			return remember(request, normalized(RequestPartitionId.fromPartitionName(request.getTenantId())));
		}
	}

	/** HAPI's code for "no interceptor provided a value for pointcuts" (BaseRequestPartitionHelperSvc). */
	private static final String NO_PARTITION_CODE = "HAPI-1319";

	/**
	 * Whether a request of tenant {@code requester} may see a job of tenant {@code owner}: always when partitioning
	 * is off; else the same tenant, or a requester of every partition (the administrator's view). A job without a
	 * tenant (kicked off before partitioning was turned on) belongs to the default partition.
	 */
	public boolean mayAccess(Tenant requester, Tenant owner) {
		if (!enabled() || requester == null) {
			return !enabled();
		}
		if (requester.allPartitions()) {
			return true;
		}
		Tenant jobTenant = owner != null ? owner : defaultTenant();
		return !jobTenant.allPartitions() && requester.key().equals(jobTenant.key());
	}

	private Tenant defaultTenant() {
		return Tenant.of(RequestPartitionId.fromPartitionIdAndName(settings.getDefaultPartitionId(), "DEFAULT"));
	}

	/** Names and ids both, whichever of the two the deciding interceptor gave. */
	private Tenant normalized(RequestPartitionId partition) {
		if (partition == null || partition.isAllPartitions()) {
			return Tenant.ALL;
		}
		RequestPartitionId full = partition;
		if (!full.hasPartitionNames()) {
			full = helper.validateAndNormalizePartitionIds(full);
		} else if (!full.hasPartitionIds()) {
			full = helper.validateAndNormalizePartitionNames(full);
		}
		return Tenant.of(full);
	}

	/** The tenant goes into the request's user data, where the AuditEvents of the request find it. */
	private static Tenant remember(RequestDetails request, Tenant tenant) {
		if (request != null && tenant != null) {
			request.getUserData().put(AuditRecord.TENANT, tenant.key());
		}
		return tenant;
	}
}
