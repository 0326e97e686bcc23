package hapibulk.export;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.export.job.ElementsSubsetter;
import hapibulk.support.BulkErrors;
import hapibulk.support.MediaTypes;
import hapibulk.support.PreferHeader;
import hapibulk.support.ServerBaseUrl;
import hapibulk.support.fhir.FhirParameter;
import org.hl7.fhir.instance.model.api.IBaseParameters;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks an export kick-off's headers and parameters and turns them into an {@link ExportRequest}. */
public class ExportRequestParser {

	static final String NDJSON = "application/fhir+ndjson";
	private static final Set<String> NDJSON_ALIASES = Set.of(NDJSON, "application/ndjson", "ndjson");
	private static final Pattern ELEMENT = Pattern.compile("(?:([A-Z][A-Za-z]+)\\.)?([a-z][A-Za-z]*)");
	/** The FHIR instant: a time of day to the second and a zone; {@code _since=2020} says neither. */
	private static final Pattern INSTANT = Pattern.compile(
			"\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})");
	/** The width of BULK_JOB.REQUEST_URL, where the kick-off URL is kept. */
	static final int MAX_REQUEST_URL = 4000;
	/** HAPI's own request controls, which every FHIR operation accepts. */
	private static final Set<String> SERVER_PARAMETERS = Set.of("_pretty", "_format", "_summary");

	private final FhirContext fhirContext;
	private final PatientCompartment compartment;
	private final Clock clock;
	private final TypeFilters typeFilters;
	private final boolean includeReferencedResources;
	private final int maxTypeFilterLength;
	private final ServerBaseUrl baseUrl;

	/**
	 * @param includeReferencedResources whether Patient and Group exports may hold types outside the
	 *                                   Patient compartment (the resources their data references)
	 * @param maxTypeFilterLength        the longest {@code _typeFilter} value accepted
	 * @param baseUrl                    the public base the manifest's {@code request} starts with (not the Host header's)
	 */
	public ExportRequestParser(FhirContext fhirContext, PatientCompartment compartment, TypeFilters typeFilters,
			boolean includeReferencedResources, int maxTypeFilterLength, ServerBaseUrl baseUrl, Clock clock) {
		this.baseUrl = baseUrl;
		this.maxTypeFilterLength = maxTypeFilterLength;
		this.typeFilters = typeFilters;
		this.includeReferencedResources = includeReferencedResources;
		this.fhirContext = fhirContext;
		this.compartment = compartment;
		this.clock = clock;
	}

	/**
	 * @param groupId   the Group of a group export, else null
	 * @param patientId the patient of {@code Patient/[id]/$export}, else null
	 */
	public ExportRequest parse(ExportLevel level, IIdType groupId, IIdType patientId, ExportParameters parameters,
			ServletRequestDetails request) {
		PreferHeader prefer = PreferHeader.of(request.getHeaders("Prefer"));
		if (!prefer.respondAsync()) {
			throw new InvalidRequestException(BulkErrors.code(101)
					+ "Bulk export is asynchronous: send the header 'Prefer: respond-async'");
		}
		checkAccept(request.getHeader("Accept"));
		checkRequestUrl(request.getCompleteUrl());
		List<String> names = parameterNames(request);
		checkSingleValued(names);
		// Under lenient handling what the server cannot honour is collected here instead of refused.
		List<IgnoredParameter> ignored = prefer.lenient() ? new ArrayList<>() : null;
		List<String> unsupported = names.stream()
				.filter(name -> !ExportParameterNames.ALL.contains(name) && !SERVER_PARAMETERS.contains(name))
				.distinct().sorted().toList();
		if (!unsupported.isEmpty() && ignored == null) {
			throw new InvalidRequestException(BulkErrors.code(104) + "Unsupported export parameter '" + unsupported.get(0)
					+ "' (send 'Prefer: handling=lenient' to have unsupported parameters ignored)");
		}
		if (ignored != null) {
			unsupported.forEach(name -> ignored.add(IgnoredParameter.unsupported(name)));
		}
		Instant since = instant(ExportParameterNames.SINCE, parameters.since());
		Instant until = instant(ExportParameterNames.UNTIL, parameters.until());
		if (since != null && until != null && !until.isAfter(since)) {
			throw new InvalidRequestException(BulkErrors.code(108) + "_until must be later than _since");
		}
		List<String> patients = patientIds(level, patientId, parameters.patients());
		List<String> types = parseTypes(level, parameters.types(), ignored);
		List<String> queries = typeFilters.parse(boundedTypeFilters(values(parameters.typeFilters()), ignored), types,
				ignored);
		String organizeOutputBy = parseOrganizeOutputBy(parameters.organizeOutputBy(), types);
		// In this order, so that of several faults the same one is reported as before.
		List<String> elements = parseElements(parameters.elements());
		List<String> associatedData = parseAssociatedData(parameters.associatedData());
		String outputFormat = parseOutputFormat(parameters.outputFormat());
		return ExportRequest.of(level, baseUrl.requestUrl(request))
				.withGroupId(groupId == null ? null : groupId.getIdPart()).withPatientIds(patients).withTypes(types)
				.withSince(since).withUntil(until).withElements(elements).withTypeFilters(queries)
				.withAssociatedData(associatedData).withOutputFormat(outputFormat)
				.withIgnoredParameters(ignored == null ? List.of() : ignored).withOrganizeOutputBy(organizeOutputBy)
				.withSeparateStatus(prefer.separateExportStatus())
				.withAllowPartialManifests(isTrue(parameters.allowPartialManifests()))
				.withDeid(text(parameters.anonymizationConfig()), null);
	}

	private static void checkAccept(String accept) {
		if (accept == null || accept.isBlank()) {
			throw new InvalidRequestException(BulkErrors.code(102)
					+ "Send 'Accept: application/fhir+json': it is the format of the OperationOutcomes this operation returns");
		}
		if (!MediaTypes.admitsFhirJson(accept)) {
			throw new InvalidRequestException(BulkErrors.code(103) + "Unsupported Accept header '" + accept
					+ "': a bulk export kick-off supports application/fhir+json only (send Accept: application/fhir+json)");
		}
	}

	/** The job table keeps the kick-off URL (the manifest's {@code request}) in a column of this width. */
	private static void checkRequestUrl(String url) {
		if (url != null && url.length() > MAX_REQUEST_URL) {
			throw new InvalidRequestException(BulkErrors.code(130) + "The kick-off URL is " + url.length()
					+ " characters long; at most " + MAX_REQUEST_URL + " are accepted (send long requests as a POST"
					+ " with a Parameters body)");
		}
	}

	/**
	 * The names of the parameters of the query string and of a {@code Parameters} body. A POST body must be a
	 * {@code Parameters} resource (HAPI would otherwise take it for no parameters at all), and each of its
	 * parameters needs a name.
	 */
	private List<String> parameterNames(ServletRequestDetails request) {
		List<String> names = new ArrayList<>();
		request.getParameters().forEach((name, values) -> {
			for (int i = 0; i < Math.max(1, values == null ? 0 : values.length); i++) {
				names.add(name);
			}
		});
		if (request.getRequestType() == RequestTypeEnum.POST && request.getResource() != null) {
			IBaseResource body = request.getResource();
			if (!(body instanceof IBaseParameters)) {
				throw new InvalidRequestException(BulkErrors.code(131) + "The body of a POST $export must be a"
						+ " Parameters resource, not " + body.fhirType());
			}
			for (FhirParameter parameter : FhirParameter.of(fhirContext, body)) {
				if (parameter.name() == null || parameter.name().isBlank()) {
					throw new InvalidRequestException(BulkErrors.code(132)
							+ "Every Parameters.parameter of the body needs a name");
				}
				names.add(parameter.name());
			}
		}
		return names;
	}

	/** Parameters that take one value: a second one is refused rather than silently dropped. */
	private static void checkSingleValued(List<String> names) {
		for (String name : ExportParameterNames.SINGLE_VALUED) {
			if (names.stream().filter(name::equals).count() > 1) {
				throw new InvalidRequestException(BulkErrors.code(133) + "The parameter '" + name
						+ "' may be given only once");
			}
		}
	}

	/** A filter longer than the bound is refused (lenient: dropped): HAPI's search would fail on it inside the job. */
	private List<String> boundedTypeFilters(List<String> values, List<IgnoredParameter> ignored) {
		List<String> kept = new ArrayList<>();
		for (String value : values) {
			if (value.length() <= maxTypeFilterLength) {
				kept.add(value);
				continue;
			}
			String message = BulkErrors.code(134) + "A _typeFilter of " + value.length() + " characters is longer than"
					+ " the " + maxTypeFilterLength + " this server accepts";
			if (ignored == null) {
				throw new InvalidRequestException(message);
			}
			ignored.add(new IgnoredParameter(ExportParameterNames.TYPE_FILTER, message));
		}
		return kept;
	}

	/**
	 * At Patient and Group level a type outside the Patient compartment stands for the resources of that type
	 * the exported compartments reference (with include-referenced-resources on). A request naming only such
	 * types is refused, as the IG asks; under lenient handling it exports those referenced resources and
	 * says so in the error file.
	 */
	private List<String> parseTypes(ExportLevel level, List<IPrimitiveType<String>> types, List<IgnoredParameter> ignored) {
		List<String> requested = commaSeparated(types);
		Set<String> result = new TreeSet<>();
		for (String type : requested) {
			String problem = null;
			if (!fhirContext.getResourceTypes().contains(type)) {
				problem = BulkErrors.code(105) + "Unknown resource type in _type: '" + type + "'";
			} else if (level != ExportLevel.SYSTEM && !compartment.contains(type) && !includeReferencedResources) {
				problem = BulkErrors.code(109) + "_type '" + type
						+ "' is not in the Patient compartment, which bounds Patient and Group exports";
			}
			if (problem == null) {
				result.add(type);
			} else if (ignored == null) {
				throw new InvalidRequestException(problem);
			} else {
				ignored.add(new IgnoredParameter(ExportParameterNames.TYPE, problem));
			}
		}
		if (!requested.isEmpty() && result.isEmpty()) {
			throw new InvalidRequestException(BulkErrors.code(135) + "None of the types in _type can be exported here: "
					+ String.join(",", requested));
		}
		if (level != ExportLevel.SYSTEM && !result.isEmpty() && result.stream().noneMatch(compartment::contains)) {
			String message = BulkErrors.code(136) + "_type names only types outside the Patient compartment ("
					+ String.join(",", result) + "), which a Patient or Group export holds only as the resources"
					+ " its patients' data references";
			if (ignored == null) {
				throw new InvalidRequestException(message + "; add a compartment type such as Patient");
			}
			ignored.add(new IgnoredParameter(ExportParameterNames.TYPE, message + "; exported only those"));
		}
		return List.copyOf(result);
	}

	/** {@code Type.element} (a top-level element of that type) or {@code element} (of every type). */
	private List<String> parseElements(List<IPrimitiveType<String>> elements) {
		Set<String> result = new LinkedHashSet<>();
		for (String value : commaSeparated(elements)) {
			Matcher matcher = ELEMENT.matcher(value);
			if (!matcher.matches()) {
				throw new InvalidRequestException(BulkErrors.code(118) + "_elements '" + value
						+ "' is neither Type.element nor element");
			}
			String type = matcher.group(1);
			if (type != null && (!fhirContext.getResourceTypes().contains(type)
					|| ElementsSubsetter.jsonNames(fhirContext, type, matcher.group(2)).isEmpty())) {
				throw new InvalidRequestException(BulkErrors.code(119) + "_elements '" + value
						+ "': " + type + " has no top-level element '" + matcher.group(2) + "'");
			}
			result.add(value);
		}
		return List.copyOf(result);
	}

	/**
	 * Only {@code Patient} blocks: the Patient compartment defines what a block holds. Types outside
	 * the compartment belong to no block, so asking for them is refused rather than silently dropped.
	 */
	private String parseOrganizeOutputBy(IPrimitiveType<String> value, List<String> types) {
		if (value == null || value.getValueAsString() == null || value.getValueAsString().isBlank()) {
			return null;
		}
		String type = value.getValueAsString().trim();
		if (!type.equals("Patient")) {
			throw new InvalidRequestException(BulkErrors.code(125) + "Unsupported organizeOutputBy '" + type
					+ "': only Patient is supported");
		}
		for (String requested : types) {
			if (!compartment.contains(requested)) {
				throw new InvalidRequestException(BulkErrors.code(126) + "_type '" + requested
						+ "' is outside the Patient compartment, so it has no place in output organized by Patient");
			}
		}
		return type;
	}

	/** A single string value, trimmed; null when absent or blank (ExportDeidentification checks the name). */
	private static String text(IPrimitiveType<String> value) {
		return value == null || value.getValueAsString() == null || value.getValueAsString().isBlank() ? null
				: value.getValueAsString().strip();
	}

	private static boolean isTrue(IPrimitiveType<Boolean> value) {
		return value != null && Boolean.TRUE.equals(value.getValue());
	}

	private static List<String> parseAssociatedData(List<IPrimitiveType<String>> values) {
		Set<String> codes = new TreeSet<>();
		for (String code : commaSeparated(values)) {
			if (!code.equals(ExportRequest.LATEST_PROVENANCE) && !code.equals(ExportRequest.RELEVANT_PROVENANCE)) {
				throw new InvalidRequestException(BulkErrors.code(124) + "Unsupported includeAssociatedData '" + code
						+ "': use LatestProvenanceResources or RelevantProvenanceResources");
			}
			codes.add(code);
		}
		return List.copyOf(codes);
	}

	private static List<String> values(List<IPrimitiveType<String>> values) {
		return values == null ? List.of() : values.stream().map(IPrimitiveType::getValueAsString)
				.filter(value -> value != null && !value.isBlank()).toList();
	}

	/** Repeated parameters and comma lists mean the same thing. */
	private static List<String> commaSeparated(List<IPrimitiveType<String>> values) {
		List<String> result = new ArrayList<>();
		for (IPrimitiveType<String> value : values == null ? List.<IPrimitiveType<String>>of() : values) {
			for (String part : String.valueOf(value.getValueAsString()).split(",")) {
				if (!part.isBlank()) {
					result.add(part.trim());
				}
			}
		}
		return result;
	}

	private List<String> patientIds(ExportLevel level, IIdType patientId, List<IBaseReference> references) {
		boolean given = references != null && !references.isEmpty();
		if (given && level == ExportLevel.SYSTEM) {
			throw new InvalidRequestException(BulkErrors.code(110)
					+ "The 'patient' parameter is for Patient and Group exports, not for a system export");
		}
		if (given && patientId != null) {
			throw new InvalidRequestException(BulkErrors.code(111)
					+ "Patient/[id]/$export exports one patient; the 'patient' parameter cannot be added");
		}
		if (patientId != null) {
			return List.of(patientId.getIdPart());
		}
		Set<String> ids = new LinkedHashSet<>();
		for (IBaseReference reference : given ? references : List.<IBaseReference>of()) {
			IIdType id = reference.getReferenceElement();
			if (id == null || !id.hasIdPart() || (id.hasResourceType() && !id.getResourceType().equals("Patient"))) {
				throw new InvalidRequestException(BulkErrors.code(112)
						+ "Each 'patient' must reference a Patient as Patient/[id], not '"
						+ (id == null ? null : id.getValue()) + "'");
			}
			ids.add(id.getIdPart());
		}
		return List.copyOf(ids);
	}

	private Instant instant(String name, IPrimitiveType<Date> value) {
		if (value == null || value.getValue() == null) {
			return null;
		}
		String text = value.getValueAsString();
		if (text == null || !INSTANT.matcher(text.strip()).matches()) {
			throw new InvalidRequestException(BulkErrors.code(137) + name + " must be an instant with a time zone,"
					+ " such as 2024-01-31T00:00:00Z, not '" + text + "'");
		}
		Instant instant = value.getValue().toInstant();
		if (instant.isAfter(clock.instant())) {
			throw new InvalidRequestException(BulkErrors.code(106) + name + " is in the future: "
					+ value.getValueAsString());
		}
		return instant;
	}

	private static String parseOutputFormat(IPrimitiveType<String> outputFormat) {
		if (outputFormat == null || outputFormat.getValueAsString() == null) {
			return NDJSON;
		}
		String value = outputFormat.getValueAsString().trim();
		if (!NDJSON_ALIASES.contains(value)) {
			throw new InvalidRequestException(BulkErrors.code(107) + "Unsupported _outputFormat '" + value
					+ "': use application/fhir+ndjson, application/ndjson or ndjson");
		}
		return NDJSON;
	}
}
