package hapibulk.export.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.export.job.StoredResource.StoredTag;
import hapibulk.support.ExactJson;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns a stored resource into one NDJSON line, adding {@code id} and {@code meta} the way HAPI
 * does on read, without building a FHIR model object. Numbers are copied as written (FHIR decimals
 * keep their precision). Not thread-safe: one per worker invocation.
 */
public class NdjsonResourceEncoder {

	private static final JsonFactory JSON = new JsonFactory();
	private static final ObjectMapper EXACT = ExactJson.MAPPER;

	private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(16 * 1024);
	private final ByteArrayOutputStream idAndMeta = new ByteArrayOutputStream(1024);

	/** The resource as UTF-8 JSON followed by a newline. */
	public byte[] encode(StoredResource resource) throws IOException {
		if (resource.complete()) {
			return (resource.body() + "\n").getBytes(StandardCharsets.UTF_8);
		}
		buffer.reset();
		// A stored "meta" (for instance meta.extension) must be merged; that rare case takes the tree path.
		boolean storedMeta = resource.body().contains("\"meta\"");
		if (!storedMeta && spliceIdAndMeta(resource)) {
			return buffer.toByteArray();
		}
		buffer.reset();
		try (JsonGenerator out = JSON.createGenerator(buffer)) {
			if (storedMeta) {
				writeMerged(resource, out);
			} else {
				writeStreamed(resource, out);
			}
		}
		buffer.write('\n');
		return buffer.toByteArray();
	}

	/**
	 * The fast path, for JSON as HAPI stores it: {@code {"resourceType":"X",...}} with no id and no
	 * meta (HAPI's encoder would write them right after resourceType). The stored text is copied as
	 * it is, with only id and meta written in after the type: no parsing of the resource at all.
	 *
	 * @return false (nothing written) when the text does not have that shape
	 */
	private boolean spliceIdAndMeta(StoredResource resource) throws IOException {
		String body = resource.body();
		String head = "{\"resourceType\":\"" + resource.type() + "\"";
		if (!body.startsWith(head) || body.length() == head.length()) {
			return false;
		}
		char next = body.charAt(head.length());
		if (next != '}' && (next != ',' || body.startsWith("\"id\"", head.length() + 1))) {
			return false;
		}
		idAndMeta.reset();
		try (JsonGenerator out = JSON.createGenerator(idAndMeta)) {
			out.writeStartObject();
			writeIdAndMeta(resource, out, null);
			out.writeEndObject();
		}
		byte[] fields = idAndMeta.toByteArray();
		buffer.write(head.getBytes(StandardCharsets.UTF_8));
		buffer.write(',');
		buffer.write(fields, 1, fields.length - 2); // the fields, without the object's braces
		byte[] text = body.getBytes(StandardCharsets.UTF_8);
		// The head is ASCII, so its length in chars is its length in bytes.
		buffer.write(text, head.length(), text.length - head.length());
		buffer.write('\n');
		return true;
	}

	private static void writeStreamed(StoredResource resource, JsonGenerator out) throws IOException {
		try (JsonParser in = JSON.createParser(resource.body())) {
			expect(in.nextToken(), JsonToken.START_OBJECT, resource);
			out.writeStartObject();
			boolean headerWritten = false;
			while (in.nextToken() == JsonToken.FIELD_NAME) {
				String name = in.currentName();
				in.nextToken();
				if (name.equals("resourceType")) {
					out.writeStringField("resourceType", in.getText());
					writeIdAndMeta(resource, out, null);
					headerWritten = true;
				} else if (name.equals("id")) {
					in.skipChildren();
				} else {
					out.writeFieldName(name);
					copy(in, out);
				}
			}
			if (!headerWritten) {
				throw new IOException("Stored resource " + resource.type() + "/" + resource.fhirId() + " has no resourceType");
			}
			out.writeEndObject();
		}
	}

	private static void writeMerged(StoredResource resource, JsonGenerator out) throws IOException {
		ObjectNode stored = (ObjectNode) EXACT.readTree(resource.body());
		out.writeStartObject();
		out.writeStringField("resourceType", stored.path("resourceType").asText(resource.type()));
		writeIdAndMeta(resource, out, stored.get("meta") instanceof ObjectNode meta ? meta : null);
		var fields = stored.fields();
		while (fields.hasNext()) {
			var field = fields.next();
			if (!List.of("resourceType", "id", "meta").contains(field.getKey())) {
				out.writeFieldName(field.getKey());
				EXACT.writeTree(out, field.getValue());
			}
		}
		out.writeEndObject();
	}

	private static void writeIdAndMeta(StoredResource resource, JsonGenerator out, ObjectNode storedMeta)
			throws IOException {
		out.writeStringField("id", resource.fhirId());
		out.writeObjectFieldStart("meta");
		if (storedMeta != null) {
			var fields = storedMeta.fields();
			while (fields.hasNext()) {
				var field = fields.next();
				if (!List.of("versionId", "lastUpdated", "source", "profile", "security", "tag").contains(field.getKey())) {
					out.writeFieldName(field.getKey());
					EXACT.writeTree(out, field.getValue());
				}
			}
		}
		out.writeStringField("versionId", Long.toString(resource.version()));
		out.writeStringField("lastUpdated", InstantText.of(resource.updated()));
		String source = resource.source() != null ? resource.source()
				: storedMeta != null && storedMeta.hasNonNull("source") ? storedMeta.get("source").asText() : null;
		if (source != null) {
			out.writeStringField("source", source);
		}
		List<StoredTag> profiles = resource.tags().stream().filter(t -> t.kind() == StoredTag.PROFILE).toList();
		if (!profiles.isEmpty()) {
			out.writeArrayFieldStart("profile");
			for (StoredTag profile : profiles) {
				out.writeString(profile.code());
			}
			out.writeEndArray();
		}
		writeCodings(out, "security", resource.tags(), StoredTag.SECURITY);
		writeCodings(out, "tag", resource.tags(), StoredTag.TAG);
		out.writeEndObject();
	}

	private static void writeCodings(JsonGenerator out, String field, List<StoredTag> tags, int kind) throws IOException {
		List<StoredTag> codings = tags.stream().filter(t -> t.kind() == kind).toList();
		if (codings.isEmpty()) {
			return;
		}
		out.writeArrayFieldStart(field);
		for (StoredTag tag : codings) {
			out.writeStartObject();
			writeIfPresent(out, "system", tag.system());
			writeIfPresent(out, "version", tag.version());
			writeIfPresent(out, "code", tag.code());
			writeIfPresent(out, "display", tag.display());
			if (Boolean.TRUE.equals(tag.userSelected())) {
				out.writeBooleanField("userSelected", true);
			}
			out.writeEndObject();
		}
		out.writeEndArray();
	}

	private static void writeIfPresent(JsonGenerator out, String field, String value) throws IOException {
		if (value != null) {
			out.writeStringField(field, value);
		}
	}

	/** Copies the value at the parser's current token; numbers keep their exact text. */
	private static void copy(JsonParser in, JsonGenerator out) throws IOException {
		switch (in.currentToken()) {
			case START_OBJECT -> {
				out.writeStartObject();
				while (in.nextToken() == JsonToken.FIELD_NAME) {
					out.writeFieldName(in.currentName());
					in.nextToken();
					copy(in, out);
				}
				out.writeEndObject();
			}
			case START_ARRAY -> {
				out.writeStartArray();
				while (in.nextToken() != JsonToken.END_ARRAY) {
					copy(in, out);
				}
				out.writeEndArray();
			}
			case VALUE_STRING -> out.writeString(in.getTextCharacters(), in.getTextOffset(), in.getTextLength());
			case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> out.writeNumber(in.getText());
			case VALUE_TRUE -> out.writeBoolean(true);
			case VALUE_FALSE -> out.writeBoolean(false);
			case VALUE_NULL -> out.writeNull();
			default -> throw new IOException("Unexpected JSON token " + in.currentToken());
		}
	}

	private static void expect(JsonToken actual, JsonToken expected, StoredResource resource) throws IOException {
		if (actual != expected) {
			throw new IOException("Stored resource " + resource.type() + "/" + resource.fhirId()
					+ " is not a JSON object");
		}
	}

}
