package hapibulk.export;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.export.job.ElementsSubsetter;
import hapibulk.support.BulkErrors;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.Parameters;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks an export kick-off's headers and parameters and turns them into an {@link ExportRequest}. */
public class ExportRequestParser {

	static final String NDJSON = "application/fhir+ndjson";
	private static final Set<String> NDJSON_ALIASES = Set.of(NDJSON, "application/ndjson", "ndjson");
	private static final Set<String> KNOWN_PARAMETERS = Set.of("_outputFormat", "_type", "_since", "_until", "patient",
			"_elements", "_typeFilter", "includeAssociatedData", "organizeOutputBy", "allowPartialManifests");
	private static final Pattern ELEMENT = Pattern.compile("(?:([A-Z][A-Za-z]+)\\.)?([a-z][A-Za-z]*)");
	/** HAPI's own request controls, which every FHIR operation accepts. */
	private static final Set<String> SERVER_PARAMETERS = Set.of("_pretty", "_format", "_summary");

	private final FhirContext fhirContext;
	private final PatientCompartment compartment;
	private final Clock clock;
	private final TypeFilters typeFilters;
	private final boolean includeReferencedResources;

	/**
	 * @param includeReferencedResources whether Patient and Group exports may hold types outside the
	 *                                   Patient compartment (the resources their data references)
	 */
	public ExportRequestParser(FhirContext fhirContext, PatientCompartment compartment, TypeFilters typeFilters,
			boolean includeReferencedResources, Clock clock) {
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
		Prefer prefer = Prefer.of(request.getHeaders("Prefer"));
		if (!prefer.respondAsync()) {
			throw new InvalidRequestException(BulkErrors.code(101)
					+ "Bulk export is asynchronous: send the header 'Prefer: respond-async'");
		}
		checkAccept(request.getHeader("Accept"));
		List<String> unsupported = unsupportedParameters(request);
		if (!unsupported.isEmpty() && !prefer.lenient()) {
			throw new InvalidRequestException(BulkErrors.code(104) + "Unsupported export parameter '" + unsupported.get(0)
					+ "' (send 'Prefer: handling=lenient' to have unsupported parameters ignored)");
		}
		Instant since = instant("_since", parameters.since());
		Instant until = instant("_until", parameters.until());
		if (since != null && until != null && !until.isAfter(since)) {
			throw new InvalidRequestException(BulkErrors.code(108) + "_until must be later than _since");
		}
		List<String> patients = patientIds(level, patientId, parameters.patients());
		List<String> types = parseTypes(level, parameters.types());
		List<String> queries = typeFilters.parse(values(parameters.typeFilters()), types);
		String organizeOutputBy = parseOrganizeOutputBy(parameters.organizeOutputBy(), types);
		return new ExportRequest(level, groupId == null ? null : groupId.getIdPart(), patients, types, since, until,
				parseElements(parameters.elements()), queries, parseAssociatedData(parameters.associatedData()),
				parseOutputFormat(parameters.outputFormat()), request.getCompleteUrl(), unsupported, organizeOutputBy,
				prefer.separateExportStatus(), isTrue(parameters.allowPartialManifests()));
	}

	private static void checkAccept(String accept) {
		if (accept == null || accept.isBlank()) {
			throw new InvalidRequestException(BulkErrors.code(102)
					+ "Send 'Accept: application/fhir+json': it is the format of the OperationOutcomes this operation returns");
		}
		String lower = accept.toLowerCase(Locale.ROOT);
		if (!lower.contains("application/fhir+json") && !lower.contains("application/json") && !lower.contains("*/*")) {
			throw new InvalidRequestException(BulkErrors.code(103) + "Unsupported Accept header '" + accept
					+ "': bulk export answers in application/fhir+json");
		}
	}

	private static List<String> unsupportedParameters(ServletRequestDetails request) {
		Collection<String> names = new LinkedHashSet<>(request.getParameters().keySet());
		if (request.getRequestType() == RequestTypeEnum.POST && request.getResource() instanceof Parameters body) {
			body.getParameter().forEach(p -> names.add(p.getName()));
		}
		return names.stream().filter(name -> !KNOWN_PARAMETERS.contains(name) && !SERVER_PARAMETERS.contains(name))
				.sorted().toList();
	}

	private List<String> parseTypes(ExportLevel level, List<IPrimitiveType<String>> types) {
		Set<String> result = new TreeSet<>();
		for (String type : commaSeparated(types)) {
			if (!fhirContext.getResourceTypes().contains(type)) {
				throw new InvalidRequestException(BulkErrors.code(105) + "Unknown resource type in _type: '" + type + "'");
			}
			if (level != ExportLevel.SYSTEM && !compartment.contains(type) && !includeReferencedResources) {
				throw new InvalidRequestException(BulkErrors.code(109) + "_type '" + type
						+ "' is not in the Patient compartment, which bounds Patient and Group exports");
			}
			result.add(type);
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

	/** The preferences of RFC 7240 that bulk kick-offs use. */
	record Prefer(boolean respondAsync, boolean lenient, boolean separateExportStatus) {
		static Prefer of(List<String> headers) {
			boolean async = false;
			boolean lenient = false;
			boolean separate = false;
			for (String header : headers == null ? List.<String>of() : headers) {
				for (String token : header.split(",")) {
					String preference = token.trim().toLowerCase(Locale.ROOT).replace(" ", "");
					async |= preference.equals("respond-async");
					lenient |= preference.equals("handling=lenient");
					separate |= preference.equals("separate-export-status");
				}
			}
			return new Prefer(async, lenient, separate);
		}
	}
}
