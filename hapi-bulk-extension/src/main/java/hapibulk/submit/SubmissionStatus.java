package hapibulk.submit;

import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.auth.JobOwner;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.ManifestJson;
import hapibulk.support.BulkErrors;
import hapibulk.support.BulkJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code $bulk-submit-status} answers, from the submission's rows and its import jobs' rows: still loading
 * (the submission is in progress, or an import runs), failed (an import failed), or done, with a manifest that
 * carries the {@code submissionId} and, on each {@code output} and {@code outcome} item, the {@code manifestUrl}
 * it came from.
 */
class SubmissionStatus {

	/** The answer: {@code progress} while loading, or {@code failure}, or the {@code manifest} when done. */
	record View(String progress, String failure, String manifest) {}

	private final SubmissionTable submissions;
	private final BulkJobTable jobs;
	private final boolean requiresAccessToken;
	private final Clock clock;

	SubmissionStatus(SubmissionTable submissions, BulkJobTable jobs, boolean requiresAccessToken, Clock clock) {
		this.submissions = submissions;
		this.jobs = jobs;
		this.requiresAccessToken = requiresAccessToken;
		this.clock = clock;
	}

	View view(String submitter, String submissionId, JobOwner caller, String serverBase, String statusUrl) {
		SubmissionTable.Submission submission = submissions.find(submitter, submissionId)
				.filter(found -> caller.clientId() == null || Objects.equals(found.owner(), caller.clientId()))
				.orElseThrow(() -> new ResourceNotFoundException(BulkErrors.code(944) + "No submission " + submissionId
						+ " of " + submitter + " for this client"));
		// a manifest submitted again after its import failed: its last import is the one that counts
		Map<String, SubmissionTable.Manifest> latest = new LinkedHashMap<>();
		submissions.manifests(submitter, submissionId).forEach(manifest -> latest.put(manifest.manifestUrl(), manifest));
		List<SubmissionTable.Manifest> manifests = List.copyOf(latest.values());
		int loaded = 0;
		Instant transactionTime = null;
		ObjectNode root = BulkJson.MAPPER.createObjectNode();
		ArrayNode output = BulkJson.MAPPER.createArrayNode();
		ArrayNode outcome = BulkJson.MAPPER.createArrayNode();
		for (SubmissionTable.Manifest manifest : manifests) {
			BulkJob job = jobs.find(manifest.jobId()).orElse(null);
			if (job == null || job.state() == BulkJobState.FAILED || job.state() == BulkJobState.CANCELLED) {
				return new View(null, "The import of manifest " + manifest.manifestUrl() + " "
						+ (job == null ? "is gone" : job.state().name().toLowerCase()
						+ (job.errorMessage() == null ? "" : ": " + job.errorMessage())
						+ "; submit the manifest again to load it (what was stored is not stored twice)"), null);
			}
			if (job.state() != BulkJobState.COMPLETED && job.state() != BulkJobState.DELETED) {
				continue;
			}
			loaded++;
			if (job.manifestJson() == null) {
				continue;
			}
			JsonNode rendered = read(ManifestJson.render(StoredManifestJson.read(job.manifestJson()), serverBase, job.id(),
					null));
			rendered.path("output").forEach(item -> output.add(((ObjectNode) item).put("manifestUrl", manifest.manifestUrl())));
			rendered.path("error").forEach(item -> outcome.add(((ObjectNode) item).put("manifestUrl", manifest.manifestUrl())));
			if (transactionTime == null || job.transactionTime().isAfter(transactionTime)) {
				transactionTime = job.transactionTime();
			}
		}
		boolean done = SubmitRequest.COMPLETED.equals(submission.status()) && loaded == manifests.size();
		if (!done) {
			return new View(loaded + " of " + manifests.size() + " manifests loaded; submission " + submission.status(),
					null, null);
		}
		root.put("transactionTime", (transactionTime == null ? clock.instant() : transactionTime)
				.truncatedTo(ChronoUnit.MILLIS).toString());
		root.put("request", statusUrl);
		root.put("requiresAccessToken", requiresAccessToken);
		root.put("submissionId", submissionId);
		root.set("output", output);
		root.set("outcome", outcome);
		// STU2 and STU3 clients read error files from "error"
		root.set("error", outcome.deepCopy());
		return new View(null, null, root.toPrettyString());
	}

	private static JsonNode read(String json) {
		try {
			return BulkJson.MAPPER.readTree(json);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
