package hapibulk.submit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code Parameters} of {@code $bulk-submit} and {@code $bulk-submit-status} (JSON or XML, any FHIR
 * version the host serves: the body is parsed by the host's FHIR parser, then read as its JSON form). Parameters
 * this server cannot honour are refused rather than ignored: a submitter must not believe its files were
 * decrypted or its headers sent.
 */
public class SubmitRequestParser {

	private static final Set<String> SINGLE = Set.of("submitter", "submissionId", "submissionStatus", "manifestUrl",
			"fhirBaseUrl", "replacesManifestUrl", "outputFormat", "oauthMetadataUrl", "_outputFormat");
	private static final Set<String> NDJSON = Set.of("application/fhir+ndjson", "application/ndjson", "ndjson");
	private static final Set<String> STATUSES = Set.of(SubmitRequest.IN_PROGRESS, SubmitRequest.COMPLETED,
			SubmitRequest.STOPPED);

	private final FhirContext fhirContext;

	public SubmitRequestParser(FhirContext fhirContext) {
		this.fhirContext = fhirContext;
	}

	/** A {@code $bulk-submit} body: validated as the IG asks (what needs the registrations is checked later). */
	public SubmitRequest parseSubmit(byte[] body, String contentType) {
		Map<String, JsonNode> parameters = parameters(body, contentType);
		SubmitRequest request = common(parameters);
		for (String unsupported : new String[] {"fileRequestHeader", "fileEncryptionKey", "import"}) {
			if (parameters.containsKey(unsupported)) {
				throw unsupported("$bulk-submit parameter '" + unsupported
						+ "' is not supported by this server; submit without it");
			}
		}
		String format = text(parameters.get("outputFormat"));
		if (format != null && !NDJSON.contains(format.strip())) {
			throw unsupported("Unsupported outputFormat '" + format
					+ "': this server loads application/fhir+ndjson only");
		}
		if (request.status() == null && request.manifestUrl() == null) {
			throw new InvalidRequestException(BulkErrors.code(932)
					+ "$bulk-submit needs a submissionStatus, a manifestUrl, or both");
		}
		if (request.status() != null && !STATUSES.contains(request.status())) {
			throw new InvalidRequestException(BulkErrors.code(933) + "Unknown submissionStatus '" + request.status()
					+ "': use in-progress, completed or stopped");
		}
		if (request.manifestUrl() != null && request.fhirBaseUrl() == null) {
			throw new InvalidRequestException(BulkErrors.code(934)
					+ "A manifestUrl needs the fhirBaseUrl of the server it belongs to");
		}
		return request;
	}

	/** A {@code $bulk-submit-status} body. */
	public SubmitRequest parseStatus(byte[] body, String contentType) {
		return common(parameters(body, contentType));
	}

	private SubmitRequest common(Map<String, JsonNode> parameters) {
		JsonNode submitter = parameters.get("submitter");
		JsonNode identifier = submitter == null ? null : submitter.get("valueIdentifier");
		String submissionId = text(parameters.get("submissionId"));
		if (identifier == null || !identifier.path("value").isTextual() || identifier.path("value").asText().isBlank()
				|| submissionId == null || submissionId.isBlank()) {
			throw missingIdentity("Name the submitter (an Identifier with a value) and the submissionId");
		}
		if (submissionId.length() > 256) {
			throw missingIdentity("A submissionId has at most 256 characters");
		}
		JsonNode status = parameters.get("submissionStatus");
		String code = status == null ? null : status.has("valueCoding") ? status.path("valueCoding").path("code").asText(null)
				: text(status);
		return new SubmitRequest(identifier.path("system").asText(null), identifier.path("value").asText(), submissionId,
				code, text(parameters.get("manifestUrl")), text(parameters.get("fhirBaseUrl")),
				text(parameters.get("replacesManifestUrl")), text(parameters.get("oauthMetadataUrl")));
	}

	/** Each parameter by name; a repeated single-valued one is refused. */
	private Map<String, JsonNode> parameters(byte[] body, String contentType) {
		String text = new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8).strip();
		JsonNode root;
		try {
			var parser = text.startsWith("<") || (contentType != null && contentType.contains("xml"))
					? fhirContext.newXmlParser() : fhirContext.newJsonParser();
			IBaseResource resource = parser.parseResource(text);
			if (!"Parameters".equals(fhirContext.getResourceType(resource))) {
				throw malformed("The body is a " + fhirContext.getResourceType(resource) + ", not a Parameters resource");
			}
			root = BulkJson.MAPPER.readTree(fhirContext.newJsonParser().encodeResourceToString(resource));
		} catch (DataFormatException | IOException e) {
			throw malformed("The body must be a Parameters resource: " + e.getMessage());
		}
		Map<String, JsonNode> parameters = new HashMap<>();
		for (Iterator<JsonNode> it = root.path("parameter").elements(); it.hasNext(); ) {
			JsonNode parameter = it.next();
			String name = parameter.path("name").asText("");
			if (parameters.put(name, parameter) != null && SINGLE.contains(name)) {
				throw malformed("Parameter '" + name + "' is given twice");
			}
		}
		return parameters;
	}

	/** A primitive value's text, whatever its type (valueString, valueUrl, valueUri, valueCode...). */
	private static String text(JsonNode parameter) {
		if (parameter == null) {
			return null;
		}
		for (Iterator<Map.Entry<String, JsonNode>> it = parameter.fields(); it.hasNext(); ) {
			Map.Entry<String, JsonNode> field = it.next();
			if (field.getKey().startsWith("value") && field.getValue().isValueNode()) {
				String value = field.getValue().asText();
				return value.isBlank() ? null : value;
			}
		}
		return null;
	}

	/** BULK-0930: a body that is not one Parameters resource with each single-valued parameter once. */
	private static InvalidRequestException malformed(String why) {
		return new InvalidRequestException(BulkErrors.code(930) + why);
	}

	/** BULK-0931: no submitter or submissionId (in a body, or in a status poll's query). */
	static InvalidRequestException missingIdentity(String why) {
		return new InvalidRequestException(BulkErrors.code(931) + why);
	}

	/** BULK-0943: a parameter or format this server does not honour. */
	private static InvalidRequestException unsupported(String why) {
		return new InvalidRequestException(BulkErrors.code(943) + why);
	}
}
