package hapibulk.imports.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;

import java.nio.charset.StandardCharsets;

/**
 * The error file's lines: one OperationOutcome per line that was not stored, naming the input URL,
 * the line number and the resource id when known, in extensions (for programs) and in the
 * diagnostics (for people).
 */
final class ImportErrorLines {

	static final String EXTENSION_BASE = "https://github.com/hapi-bulk/fhir/StructureDefinition/import-";
	static final String INPUT_URL = EXTENSION_BASE + "input-url";
	static final String LINE_NUMBER = EXTENSION_BASE + "line-number";
	static final String RESOURCE_ID = EXTENSION_BASE + "resource-id";
	static final String BYTE_OFFSET = EXTENSION_BASE + "byte-offset";

	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private ImportErrorLines() {}

	/** What went wrong with one line. */
	enum Problem {
		MALFORMED(240, "invalid", "is not a FHIR resource in JSON"),
		WRONG_TYPE(241, "invalid", "holds a resource of another type than its input declares"),
		NO_ID(242, "required", "holds a resource without an id"),
		TOO_LONG(243, "too-long", "is longer than hapi.bulk.import.max-line-length"),
		REJECTED(244, "processing", "was refused by the server"),
		UPDATE_NOT_ALLOWED(225, "forbidden", "would change a stored (or deleted) resource, and the access token"
				+ " does not allow updating its type; nothing was changed"),
		CREATE_NOT_ALLOWED(226, "forbidden", "would create a resource, and the access token does not allow"
				+ " creating its type"),
		MATCH_URL_NOT_READABLE(345, "forbidden", "holds a reference whose inline match URL searches types the"
				+ " access token may not read; nothing of it was stored"),
		TOO_MANY_ERRORS(227, "too-costly", "is where the input was stopped: it reached"
				+ " hapi.bulk.import.max-error-lines error lines, and no line after it was read"),
		AUDIT_TRAIL(353, "forbidden", "holds an AuditEvent: the audit trail is written by this server alone, and no"
				+ " import adds to or changes it"),
		TOO_LARGE(228, "too-costly", "is where the input was stopped: it is larger than"
				+ " hapi.bulk.import.max-input-size (after decompression), and no line from here on was stored");

		final int code;
		final String issueCode;
		final String text;

		Problem(int code, String issueCode, String text) {
			this.code = code;
			this.issueCode = issueCode;
			this.text = text;
		}
	}

	/**
	 * @param lineNumber the line's number in its input; in a part of a split input, its number in the part (the
	 *                   lines before the part are not counted), so the line is named by {@code lineStart}
	 * @param lineStart  the byte offset of the line's first byte in the input
	 */
	static byte[] line(ImportPartition partition, long lineNumber, long lineStart, String resourceId, Problem problem,
			String detail) {
		ObjectNode outcome = JSON.createObjectNode().put("resourceType", "OperationOutcome");
		ArrayNode extensions = outcome.putArray("extension");
		extensions.addObject().put("url", INPUT_URL).put("valueUri", partition.url());
		if (partition.isPart()) {
			extensions.addObject().put("url", BYTE_OFFSET).put("valueDecimal", lineStart);
		} else {
			extensions.addObject().put("url", LINE_NUMBER).put("valueInteger", lineNumber);
		}
		if (resourceId != null) {
			extensions.addObject().put("url", RESOURCE_ID).put("valueString", resourceId);
		}
		StringBuilder diagnostics = new StringBuilder(BulkErrors.code(problem.code));
		if (partition.isPart()) {
			diagnostics.append("The line at byte ").append(lineStart);
		} else {
			diagnostics.append("Line ").append(lineNumber);
		}
		diagnostics.append(" of ").append(partition.url());
		if (resourceId != null) {
			diagnostics.append(" (").append(resourceId).append(")");
		}
		diagnostics.append(' ').append(problem.text);
		if (detail != null && !detail.isBlank()) {
			diagnostics.append(": ").append(detail.length() > 2000 ? detail.substring(0, 2000) + "..." : detail);
		}
		outcome.putArray("issue").addObject().put("severity", "error").put("code", problem.issueCode)
				.put("diagnostics", diagnostics.toString());
		return (outcome + "\n").getBytes(StandardCharsets.UTF_8);
	}
}
