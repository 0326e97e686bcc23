package hapibulk.imports;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;
import hapibulk.support.fhir.FhirParameter;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads an {@code $import} body into an {@link ImportRequest}. Two shapes are accepted: a FHIR
 * {@code Parameters} resource (HAPI's, IBM's and Microsoft's: {@code inputFormat},
 * {@code inputSource}, {@code storageDetail} as a string or with a {@code type} part, {@code input}
 * parts with {@code type} and {@code url}, {@code mode}), and the plain JSON of the SMART
 * manifest proposal ({@code {inputFormat, inputSource, storageDetail:{type}, input:[{type,url}]}}).
 * Values are read whatever primitive type they are sent as (valueString, valueUri, valueCode, ...).
 */
public class ImportRequestParser {

	private static final ObjectMapper JSON = BulkJson.MAPPER;
	private static final Set<String> NDJSON_ALIASES = Set.of(ImportRequest.NDJSON, "application/ndjson", "ndjson");
	private static final Set<String> STORAGE_TYPES = Set.of("https", "http", "file", "local");

	private final FhirContext fhirContext;

	public ImportRequestParser(FhirContext fhirContext) {
		this.fhirContext = fhirContext;
	}

	public ImportRequest parse(byte[] body, String contentType, String requestUrl) {
		// The job table keeps the kick-off URL in a column of 4,000 characters.
		if (requestUrl != null && requestUrl.length() > 4000) {
			throw new InvalidRequestException(BulkErrors.code(209) + "The $import URL is longer than 4,000 characters");
		}
		String text = new String(body, StandardCharsets.UTF_8).strip();
		if (text.isEmpty()) {
			throw unreadableBody("$import needs a body: a Parameters resource or the JSON of an import request");
		}
		Fields fields = text.startsWith("<") || isFhirParameters(text) ? fromParameters(text, contentType) : fromJson(text);
		return validate(fields, requestUrl);
	}

	/** The values of either body shape, before validation. */
	private record Fields(String inputFormat, String inputSource, String storageType, String mode,
			List<ImportRequest.Input> inputs) {}

	private static boolean isFhirParameters(String text) {
		try {
			return "Parameters".equals(JSON.readTree(text).path("resourceType").asText());
		} catch (IOException e) {
			throw unreadableBody("The $import body is not valid JSON: "
					+ e.getMessage());
		}
	}

	private Fields fromParameters(String text, String contentType) {
		IBaseResource parameters;
		try {
			var parser = text.startsWith("<") || (contentType != null && contentType.contains("xml"))
					? fhirContext.newXmlParser() : fhirContext.newJsonParser();
			// The host's own Parameters class, whatever its FHIR version.
			parameters = parser.parseResource(fhirContext.getResourceDefinition("Parameters").getImplementingClass(), text);
		} catch (DataFormatException e) {
			throw unreadableBody("Unreadable Parameters body: " + e.getMessage());
		}
		String inputFormat = null;
		String inputSource = null;
		String storageType = null;
		String mode = null;
		List<ImportRequest.Input> inputs = new ArrayList<>();
		for (FhirParameter parameter : FhirParameter.of(fhirContext, parameters)) {
			if (parameter.name() == null || parameter.name().isBlank()) {
				throw new InvalidRequestException(BulkErrors.code(206) + "Every Parameters.parameter of the $import body"
						+ " needs a name");
			}
			switch (parameter.name()) {
				case "inputFormat" -> inputFormat = parameter.value();
				case "inputSource" -> inputSource = parameter.value();
				case "mode" -> mode = parameter.value();
				case "storageDetail" -> storageType = parameter.hasValue() ? parameter.value() : parameter.part("type");
				case "input" -> inputs.add(new ImportRequest.Input(parameter.part("type"), parameter.part("url")));
				default -> {
					// Other servers' tuning knobs (maxBatchResourceCount, force, ...) do not apply here.
				}
			}
		}
		return new Fields(inputFormat, inputSource, storageType, mode, inputs);
	}

	private static Fields fromJson(String text) {
		JsonNode root;
		try {
			root = JSON.readTree(text);
		} catch (IOException e) {
			throw unreadableBody("The $import body is not valid JSON: "
					+ e.getMessage());
		}
		if (!root.isObject()) {
			throw unreadableBody("The $import body must be a JSON object");
		}
		List<ImportRequest.Input> inputs = new ArrayList<>();
		root.path("input").forEach(input -> inputs.add(new ImportRequest.Input(text(input, "type"), text(input, "url"))));
		JsonNode storage = root.path("storageDetail");
		String storageType = storage.isTextual() ? storage.asText() : text(storage, "type");
		return new Fields(text(root, "inputFormat"), text(root, "inputSource"), storageType, text(root, "mode"), inputs);
	}

	private ImportRequest validate(Fields fields, String requestUrl) {
		if (fields.inputFormat() != null
				&& !NDJSON_ALIASES.contains(fields.inputFormat().toLowerCase(Locale.ROOT).strip())) {
			throw new InvalidRequestException(BulkErrors.code(212) + "Unsupported inputFormat '" + fields.inputFormat()
					+ "': only " + ImportRequest.NDJSON + " is supported");
		}
		if (fields.storageType() != null && !STORAGE_TYPES.contains(fields.storageType().toLowerCase(Locale.ROOT))) {
			throw new InvalidRequestException(BulkErrors.code(221) + "Unsupported storageDetail type '"
					+ fields.storageType() + "': inputs are read from https, http or file URLs");
		}
		if (fields.inputs().isEmpty()) {
			throw new InvalidRequestException(BulkErrors.code(213) + "$import needs at least one input {type, url}");
		}
		for (ImportRequest.Input input : fields.inputs()) {
			if (input.type() == null || input.type().isBlank() || input.url() == null || input.url().isBlank()) {
				throw new InvalidRequestException(BulkErrors.code(214) + "Every input needs a type and a url");
			}
			if (!fhirContext.getResourceTypes().contains(input.type())) {
				throw new InvalidRequestException(BulkErrors.code(215) + "Unknown resource type '" + input.type()
						+ "' for input " + input.url());
			}
		}
		return new ImportRequest(fields.inputSource(), fields.storageType(), fields.mode(), fields.inputs(), requestUrl);
	}

	private static String text(JsonNode node, String field) {
		return node.hasNonNull(field) && node.get(field).isValueNode() ? node.get(field).asText() : null;
	}

	/** BULK-0211: a body that cannot be read as an import request, whatever its form. */
	private static InvalidRequestException unreadableBody(String why) {
		return new InvalidRequestException(BulkErrors.code(211) + why);
	}
}
