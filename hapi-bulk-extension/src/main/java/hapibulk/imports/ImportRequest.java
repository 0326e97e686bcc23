package hapibulk.imports;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import hapibulk.support.BulkJson;
import hapibulk.tenant.Tenant;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A validated import kick-off, whatever body shape it came in (HAPI's, IBM's or Microsoft's
 * {@code Parameters}, or the SMART manifest-style JSON).
 *
 * @param inputSource  the data's origin; stored as each resource's {@code meta.source} when given
 * @param storageType  {@code storageDetail} type as sent ({@code https}, {@code file}, ...), or null
 * @param mode         Microsoft's {@code mode} as sent, or null (both modes behave alike here)
 * @param inputs       the files, in the order the client listed them
 * @param requestUrl   the kick-off URL, echoed as the manifest's {@code request}
 * @param permissions  what the kick-off's access token allows the lines to do
 * @param tenant       the HAPI partition the lines are written into, as HAPI chose it for a create in the kick-off;
 *                     null on an unpartitioned host (docs/tenants.md)
 * @param sourceAccess the {@link SourceAccess} grant the inputs are read under ({@code $bulk-submit}), or null
 */
public record ImportRequest(String inputSource, String storageType, String mode, List<Input> inputs,
		String requestUrl, ImportPermissions permissions, Tenant tenant, String sourceAccess) {

	public static final String NDJSON = "application/fhir+ndjson";

	public ImportRequest {
		inputs = List.copyOf(inputs);
		permissions = permissions == null ? ImportPermissions.ALL : permissions;
	}

	/** A request without a tenant (an unpartitioned host), whose inputs are read under {@code hapi.bulk.import.*}'s rules. */
	public ImportRequest(String inputSource, String storageType, String mode, List<Input> inputs, String requestUrl,
			ImportPermissions permissions) {
		this(inputSource, storageType, mode, inputs, requestUrl, permissions, null, null);
	}

	/** A request whose lines may create and update every type (authorization off). */
	public ImportRequest(String inputSource, String storageType, String mode, List<Input> inputs, String requestUrl) {
		this(inputSource, storageType, mode, inputs, requestUrl, ImportPermissions.ALL);
	}

	public ImportRequest withPermissions(ImportPermissions granted) {
		return new ImportRequest(inputSource, storageType, mode, inputs, requestUrl, granted, tenant, sourceAccess);
	}

	/** The same request, writing into this tenant's partition. */
	public ImportRequest withTenant(Tenant value) {
		return new ImportRequest(inputSource, storageType, mode, inputs, requestUrl, permissions, value, sourceAccess);
	}

	public ImportRequest withSourceAccess(String grant) {
		return new ImportRequest(inputSource, storageType, mode, inputs, requestUrl, permissions, tenant, grant);
	}

	/** One input file: every line a resource of {@code type}. */
	public record Input(String type, String url) {}

	/** The request as the job table keeps it (the job's plan step reads it back), by the shared mapper. */
	public String toJson() {
		try {
			return BulkJson.MAPPER.writeValueAsString(Stored.of(this));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}

	public static ImportRequest fromJson(String json) {
		try {
			return BulkJson.MAPPER.readValue(json, Stored.class).request();
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable stored import request", e);
		}
	}

	/**
	 * The stored form: the request's fields with the permissions' type lists beside them, each left out when it
	 * means every type (rows of versions before the permissions read so). Unknown keys are ignored, as the tree
	 * reading of earlier versions did; the lists are written sorted. A record of its own, not the request itself,
	 * because the stored rows hold the lists at the top level, and unwrapping a nested record in a constructor
	 * needs a recent Jackson (2.18 refuses it; a host's Jackson may be older than HAPI 8.8's).
	 */
	@JsonIgnoreProperties(ignoreUnknown = true)
	record Stored(String inputSource, String storageType, String mode, String requestUrl, List<Input> inputs,
			@JsonInclude(JsonInclude.Include.NON_NULL) Set<String> creatable,
			@JsonInclude(JsonInclude.Include.NON_NULL) Set<String> updatable,
			@JsonInclude(JsonInclude.Include.NON_NULL) Set<String> readable,
			@JsonInclude(JsonInclude.Include.NON_NULL) Tenant tenant,
			@JsonInclude(JsonInclude.Include.NON_NULL) String sourceAccess) {

		static Stored of(ImportRequest request) {
			ImportPermissions permissions = request.permissions();
			return new Stored(request.inputSource(), request.storageType(), request.mode(), request.requestUrl(),
					request.inputs(), sorted(permissions.creatable()), sorted(permissions.updatable()),
					sorted(permissions.readable()), request.tenant(), request.sourceAccess());
		}

		ImportRequest request() {
			return new ImportRequest(inputSource, storageType, mode, inputs == null ? List.of() : inputs, requestUrl,
					new ImportPermissions(creatable, updatable, readable), tenant, sourceAccess);
		}

		private static Set<String> sorted(Set<String> types) {
			return types == null ? null : new TreeSet<>(types);
		}
	}
}
