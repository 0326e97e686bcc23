package hapibulk.export;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import hapibulk.export.job.ExportScopeResolver.ExportScope;
import hapibulk.job.StatusOptions;
import hapibulk.support.BulkJson;
import hapibulk.tenant.Tenant;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A validated export kick-off.
 *
 * @param groupId      the Group's id for a group export, else null
 * @param patientIds   Patient ids the export is limited to (the {@code patient} parameter, or the
 *                     patient of {@code Patient/[id]/$export}); empty for no limit
 * @param types        the resource types to export, sorted; empty means every type the level allows
 * @param since        only resources updated after this instant, or null
 * @param until        only resources last updated at or before this instant, or null
 * @param elements     {@code _elements}: {@code Type.element} or {@code element}; empty for whole resources
 * @param typeFilters  {@code _typeFilter} searches, {@code Type?query}; several on one type are OR'ed
 * @param associatedData {@code includeAssociatedData} codes ({@code LatestProvenanceResources},
 *                     {@code RelevantProvenanceResources}); empty when not asked for
 * @param outputFormat always {@code application/fhir+ndjson} (its aliases are normalised)
 * @param requestUrl   the kick-off URL, echoed as the manifest's {@code request}
 * @param ignoredParameters parameters (or values) ignored under {@code Prefer: handling=lenient} because the
 *                     server does not support or cannot run them; each gets an OperationOutcome in the
 *                     manifest's error file
 * @param organizeOutputBy {@code Patient} when the output is organised in patient blocks, else null
 * @param separateStatus {@code Prefer: separate-export-status}: status requests answer 200 and carry the
 *                     job's status in {@code X-Export-Status}
 * @param allowPartialManifests whether the status URL may answer with manifests of the files finished so
 *                     far while the export runs
 * @param scope        the keys the Group and patients resolved to when the export was submitted, so that the
 *                     job's plan does not resolve them again; null before (and in rows written before it was kept)
 * @param deidProfile  the de-identification profile every resource passes ({@code _anonymizationConfig}, or the
 *                     profile the client is bound to), or null for a plain export
 * @param deidKeyId    the id of that profile's keys at the kick-off (never a key): the job refuses to go on with
 *                     other keys
 * @param tenant       the HAPI partition(s) the export reads, as HAPI identified the kick-off; null on an
 *                     unpartitioned host (the job's tenant, see docs/tenants.md)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExportRequest(ExportLevel level, String groupId, List<String> patientIds, List<String> types,
		Instant since, Instant until, List<String> elements, List<String> typeFilters, List<String> associatedData,
		String outputFormat, String requestUrl, List<IgnoredParameter> ignoredParameters, String organizeOutputBy,
		boolean separateStatus, boolean allowPartialManifests, ExportScope scope, String deidProfile, String deidKeyId,
		@JsonInclude(JsonInclude.Include.NON_NULL) Tenant tenant) {

	/** A list missing from a stored row is empty, as rows written before it existed mean. */
	public ExportRequest {
		patientIds = copy(patientIds);
		types = copy(types);
		elements = copy(elements);
		typeFilters = copy(typeFilters);
		associatedData = copy(associatedData);
		ignoredParameters = copy(ignoredParameters);
	}

	/** A request without a tenant (an unpartitioned host). */
	public ExportRequest(ExportLevel level, String groupId, List<String> patientIds, List<String> types,
			Instant since, Instant until, List<String> elements, List<String> typeFilters, List<String> associatedData,
			String outputFormat, String requestUrl, List<IgnoredParameter> ignoredParameters, String organizeOutputBy,
			boolean separateStatus, boolean allowPartialManifests, ExportScope scope, String deidProfile,
			String deidKeyId) {
		this(level, groupId, patientIds, types, since, until, elements, typeFilters, associatedData, outputFormat,
				requestUrl, ignoredParameters, organizeOutputBy, separateStatus, allowPartialManifests, scope, deidProfile,
				deidKeyId, null);
	}

	private static <T> List<T> copy(List<T> values) {
		return values == null ? List.of() : List.copyOf(values);
	}

	/** How the job's status URL answers. */
	public StatusOptions statusOptions() {
		return new StatusOptions(separateStatus, allowPartialManifests, organizeOutputBy);
	}

	/** Whether the output is organised in blocks of one patient's data. */
	public boolean patientBlocks() {
		return organizeOutputBy != null;
	}

	/** The same request without these patients, each reported as ignored (lenient handling of unknown patients). */
	public ExportRequest withoutPatients(List<String> dropped, List<IgnoredParameter> reasons) {
		List<IgnoredParameter> ignored = new ArrayList<>(ignoredParameters);
		ignored.addAll(reasons);
		return withPatientIds(patientIds.stream().filter(id -> !dropped.contains(id)).toList())
				.withIgnoredParameters(ignored);
	}

	/** Whether only the latest Provenance of each target is wanted (Latest asked for, and not Relevant). */
	public boolean latestProvenanceOnly() {
		return associatedData.contains(LATEST_PROVENANCE) && !associatedData.contains(RELEVANT_PROVENANCE);
	}

	public static final String LATEST_PROVENANCE = "LatestProvenanceResources";
	public static final String RELEVANT_PROVENANCE = "RelevantProvenanceResources";

	/** An export at this level of every type the level allows, no other parameter given; {@code with...} adds them. */
	public static ExportRequest of(ExportLevel level, String requestUrl) {
		return new ExportRequest(level, null, List.of(), List.of(), null, null, List.of(), List.of(), List.of(),
				ExportRequestParser.NDJSON, requestUrl, List.of(), null, false, false, null, null, null, null);
	}

	/** A system-level export of {@code types} (all when empty). */
	public static ExportRequest system(List<String> types, Instant since, String requestUrl) {
		return of(ExportLevel.SYSTEM, requestUrl).withTypes(types).withSince(since);
	}

	public ExportRequest withGroupId(String value) {
		return with(copy -> copy.groupId = value);
	}

	public ExportRequest withPatientIds(List<String> value) {
		return with(copy -> copy.patientIds = value);
	}

	/** The same request limited to these types (e.g. the ones the caller may read). */
	public ExportRequest withTypes(List<String> value) {
		return with(copy -> copy.types = value);
	}

	public ExportRequest withSince(Instant value) {
		return with(copy -> copy.since = value);
	}

	public ExportRequest withUntil(Instant value) {
		return with(copy -> copy.until = value);
	}

	public ExportRequest withElements(List<String> value) {
		return with(copy -> copy.elements = value);
	}

	public ExportRequest withTypeFilters(List<String> value) {
		return with(copy -> copy.typeFilters = value);
	}

	public ExportRequest withAssociatedData(List<String> value) {
		return with(copy -> copy.associatedData = value);
	}

	public ExportRequest withOutputFormat(String value) {
		return with(copy -> copy.outputFormat = value);
	}

	public ExportRequest withIgnoredParameters(List<IgnoredParameter> value) {
		return with(copy -> copy.ignoredParameters = value);
	}

	public ExportRequest withOrganizeOutputBy(String value) {
		return with(copy -> copy.organizeOutputBy = value);
	}

	public ExportRequest withSeparateStatus(boolean value) {
		return with(copy -> copy.separateStatus = value);
	}

	public ExportRequest withAllowPartialManifests(boolean value) {
		return with(copy -> copy.allowPartialManifests = value);
	}

	public ExportRequest withScope(ExportScope value) {
		return with(copy -> copy.scope = value);
	}

	/** The same request, de-identified with this profile, whose keys have this id. */
	public ExportRequest withDeid(String profile, String keyId) {
		return with(copy -> {
			copy.deidProfile = profile;
			copy.deidKeyId = keyId;
		});
	}

	/** The same request, reading the partition(s) of this tenant. */
	public ExportRequest withTenant(Tenant value) {
		return with(copy -> copy.tenant = value);
	}

	/** Whether every resource of the export passes a de-identification profile. */
	public boolean deidentified() {
		return deidProfile != null;
	}

	/** The one place besides {@link #of} that writes out every component: a copy with one change. */
	private ExportRequest with(Consumer<Copy> change) {
		Copy copy = new Copy(this);
		change.accept(copy);
		return new ExportRequest(copy.level, copy.groupId, copy.patientIds, copy.types, copy.since, copy.until,
				copy.elements, copy.typeFilters, copy.associatedData, copy.outputFormat, copy.requestUrl,
				copy.ignoredParameters, copy.organizeOutputBy, copy.separateStatus, copy.allowPartialManifests,
				copy.scope, copy.deidProfile, copy.deidKeyId, copy.tenant);
	}

	/** The components of a request being copied, one of them changed. */
	private static final class Copy {
		private final ExportLevel level;
		private String groupId;
		private List<String> patientIds;
		private List<String> types;
		private Instant since;
		private Instant until;
		private List<String> elements;
		private List<String> typeFilters;
		private List<String> associatedData;
		private String outputFormat;
		private final String requestUrl;
		private List<IgnoredParameter> ignoredParameters;
		private String organizeOutputBy;
		private boolean separateStatus;
		private boolean allowPartialManifests;
		private ExportScope scope;
		private String deidProfile;
		private String deidKeyId;
		private Tenant tenant;

		private Copy(ExportRequest request) {
			level = request.level;
			groupId = request.groupId;
			patientIds = request.patientIds;
			types = request.types;
			since = request.since;
			until = request.until;
			elements = request.elements;
			typeFilters = request.typeFilters;
			associatedData = request.associatedData;
			outputFormat = request.outputFormat;
			requestUrl = request.requestUrl;
			ignoredParameters = request.ignoredParameters;
			organizeOutputBy = request.organizeOutputBy;
			separateStatus = request.separateStatus;
			allowPartialManifests = request.allowPartialManifests;
			scope = request.scope;
			deidProfile = request.deidProfile;
			deidKeyId = request.deidKeyId;
			tenant = request.tenant;
		}
	}

	/**
	 * The request as it is kept in the job table (the job's plan step reads it back): the record's components under
	 * their own names, by the shared mapper. Other readers of the row use {@code level} and {@code types}.
	 */
	public String toJson() {
		try {
			return BulkJson.MAPPER.writeValueAsString(this);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}

	public static ExportRequest fromJson(String json) {
		try {
			return BulkJson.MAPPER.readValue(json, ExportRequest.class);
		} catch (JsonProcessingException e) {
			throw new IllegalArgumentException("Not an export request: " + json, e);
		}
	}
}
