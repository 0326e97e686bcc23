package hapibulk.export.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.deid.DeidProfiles;
import hapibulk.deid.DeidSession;
import hapibulk.export.ExportRequest;
import hapibulk.support.BulkJson;
import org.springframework.batch.item.ExecutionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The de-identification stage of an export partition, between reading a resource and appending it to the part
 * file: each line is parsed, run through the profile and encoded again (plain exports never come here and keep
 * their zero-parse path). The profile's name, its key id and the export's transaction time travel in the
 * partition's execution context, never a key; the stage is a pure function of them and the line, so a restarted
 * chunk writes the same bytes. One per chunk and thread.
 */
final class DeidentifiedLines {

	/** In the job's execution context: what the plan decided for every partition. */
	static final String JOB_KEY = "exportDeid";
	/** In a partition's execution context. */
	private static final String KEY = "export.deid";

	/** What a partition needs to open its stage (the key id is checked against the keys at hand). */
	record Stage(String profile, String keyId, long transactionTime) {}

	private final DeidSession session;

	private DeidentifiedLines(DeidSession session) {
		this.session = session;
	}

	/** The plan's part: a de-identified request puts its stage where every partition will find it. */
	static void plan(ExecutionContext jobContext, ExportRequest request, Instant transactionTime) {
		if (request.deidentified()) {
			jobContext.putString(JOB_KEY, json(new Stage(request.deidProfile(), request.deidKeyId(),
					transactionTime.toEpochMilli())));
		}
	}

	static void copy(ExecutionContext jobContext, ExecutionContext partition) {
		if (jobContext.containsKey(JOB_KEY)) {
			partition.putString(KEY, jobContext.getString(JOB_KEY));
		}
	}

	/** The partition's stage, or null for a plain export. */
	static DeidentifiedLines open(ExecutionContext partition, DeidProfiles profiles) {
		if (!partition.containsKey(KEY)) {
			return null;
		}
		try {
			Stage stage = BulkJson.MAPPER.readValue(partition.getString(KEY), Stage.class);
			return new DeidentifiedLines(profiles.session(stage.profile(), stage.keyId(),
					Instant.ofEpochMilli(stage.transactionTime())));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable de-identification stage: " + partition.getString(KEY), e);
		}
	}

	/** One resource line, de-identified. */
	byte[] resource(byte[] line) {
		return session.line(line);
	}

	/**
	 * A deletion's Bundle: its entries' request URLs ({@code Type/id}) carry the ids as the profile writes them
	 * (their pseudonyms), so that the deletion names the resource an earlier delivery held.
	 */
	byte[] deletion(byte[] line) throws IOException {
		JsonNode bundle = BulkJson.MAPPER.readTree(line);
		for (JsonNode entry : bundle.path("entry")) {
			if (entry.path("request") instanceof ObjectNode request && request.path("url").isTextual()) {
				String url = request.get("url").asText();
				int slash = url.indexOf('/');
				String type = slash < 0 ? url : url.substring(0, slash);
				String id = slash < 0 ? null : session.pseudonymousId(type, url.substring(slash + 1));
				request.put("url", id == null ? type : type + "/" + id);
			}
		}
		return (bundle + "\n").getBytes(StandardCharsets.UTF_8);
	}

	/** A patient's id as the profile writes it (a block header names the patient by it); null if it removes ids. */
	String patientId(String id) {
		return session.pseudonymousId("Patient", id);
	}

	private static String json(Stage stage) {
		try {
			return BulkJson.MAPPER.writeValueAsString(stage);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException(e);
		}
	}
}
