package hapibulk.imports.job;

import hapibulk.tenant.Tenant;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import hapibulk.support.BulkJson;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One input of an import, or one part of a large input: a partition of the job.
 *
 * @param index       the input's position in the request, from 1 (names its partition and error file)
 * @param type        the resource type every line must have
 * @param url         where it is read from
 * @param wave        when it runs (see {@link ImportTypeOrder})
 * @param inputSource stored as {@code meta.source} of every resource, or null
 * @param rights      what its lines may do (the kick-off's token's rights on {@code type})
 * @param part        0: the whole input; from 1: the part of it whose lines start in [rangeStart, rangeEnd)
 * @param rangeStart  the first byte of the part (its first line is the first that starts there or after)
 * @param rangeEnd    the byte where the next part begins ({@link Long#MAX_VALUE}: the end of the input)
 * @param sourceAccess the grant the input is read under ({@code hapibulk.imports.SourceAccess}), or null
 */
record ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights,
		int part, long rangeStart, long rangeEnd, String sourceAccess) {

	ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights,
			int part, long rangeStart, long rangeEnd) {
		this(index, type, url, wave, inputSource, rights, part, rangeStart, rangeEnd, null);
	}

	/** The whole input. */
	ImportPartition(int index, String type, String url, int wave, String inputSource, WriteRights rights) {
		this(index, type, url, wave, inputSource, rights, 0, 0, Long.MAX_VALUE);
	}

	/** The whole input, read under a grant. */
	ImportPartition withSourceAccess(String grant) {
		return new ImportPartition(index, type, url, wave, inputSource, rights, part, rangeStart, rangeEnd, grant);
	}

	/** The part of this input whose lines start in [start, end). */
	ImportPartition part(int number, long start, long end) {
		return new ImportPartition(index, type, url, wave, inputSource, rights, number, start, end, sourceAccess);
	}

	boolean isPart() {
		return part > 0;
	}

	String name() {
		return "input-" + index + (isPart() ? "." + part : "");
	}

	String errorFileName() {
		return "errors-" + index + (isPart() ? "." + part : "") + ".ndjson";
	}

	static String listToJson(List<ImportPartition> partitions) {
		return write(partitions.stream().map(Stored::of).toList());
	}

	static List<ImportPartition> listFromJson(String json) {
		return read(json, new TypeReference<List<Stored>>() {}).stream().map(Stored::partition).toList();
	}

	String toJson() {
		return write(Stored.of(this));
	}

	static ImportPartition fromJson(String json) {
		return read(json, new TypeReference<Stored>() {}).partition();
	}

	private static String write(Object value) {
		try {
			return BulkJson.MAPPER.writeValueAsString(value);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}

	private static <T> T read(String json, TypeReference<T> type) {
		try {
			return BulkJson.MAPPER.readValue(json, type);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable import plan or partition", e);
		}
	}

	/**
	 * A partition as the job's plan and each partition's execution context keep it (a JSON string there), flat:
	 * the rights as {@code mayCreate}, {@code mayUpdate} and {@code readable}. What plans of earlier versions lack
	 * reads as they meant: absent rights, every line stored; absent part and range, the whole input; absent
	 * {@code readable} (also when authorization is off), every type. Unknown keys are ignored.
	 */
	@JsonIgnoreProperties(ignoreUnknown = true)
	@JsonPropertyOrder({"index", "type", "url", "wave", "inputSource", "mayCreate", "mayUpdate", "part", "rangeStart",
			"rangeEnd", "readable", "tenant", "sourceAccess"})
	record Stored(int index, String type, String url, int wave, String inputSource, Boolean mayCreate,
			Boolean mayUpdate, Integer part, Long rangeStart, Long rangeEnd,
			@JsonInclude(JsonInclude.Include.NON_NULL) Set<String> readable,
			@JsonInclude(JsonInclude.Include.NON_NULL) Tenant tenant,
			@JsonInclude(JsonInclude.Include.NON_NULL) String sourceAccess) {

		static Stored of(ImportPartition partition) {
			WriteRights rights = partition.rights();
			return new Stored(partition.index(), partition.type(), partition.url(), partition.wave(),
					partition.inputSource(), rights.create(), rights.update(), partition.part(), partition.rangeStart(),
					partition.rangeEnd(), rights.readable() == null ? null : new TreeSet<>(rights.readable()),
					rights.tenant(), partition.sourceAccess());
		}

		ImportPartition partition() {
			return new ImportPartition(index, type, url, wave, inputSource,
					new WriteRights(mayCreate == null || mayCreate, mayUpdate == null || mayUpdate, readable, tenant),
					part == null ? 0 : part, rangeStart == null ? 0 : rangeStart,
					rangeEnd == null ? Long.MAX_VALUE : rangeEnd, sourceAccess);
		}
	}
}
