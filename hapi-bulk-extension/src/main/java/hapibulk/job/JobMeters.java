package hapibulk.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.metrics.BulkMetrics;
import hapibulk.support.BulkJson;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Counts what a job did once it ended, from its row: the end state and duration, and for a completed job
 * its manifest's counts (resources and bytes per type; an import's lines stored and in error). Counting
 * the manifest, not the writers as they go, keeps the meters equal to what clients were told: a chunk
 * that is rolled back and written again is never counted twice.
 */
public class JobMeters {

	/** The type tag of export files that hold patient blocks (several types per file). */
	static final String BLOCKS = "blocks";

	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final BulkMetrics metrics;
	private final Clock clock;

	public JobMeters(BulkMetrics metrics, Clock clock) {
		this.metrics = metrics;
		this.clock = clock;
	}

	/** Called once the job's execution has ended and its row holds the outcome; active rows are ignored. */
	public void ended(BulkJob job) {
		if (!metrics.isOn() || !(job.state() == BulkJobState.COMPLETED || job.state() == BulkJobState.FAILED
				|| job.state() == BulkJobState.CANCELLED)) {
			return;
		}
		String kind = kind(job.kind());
		metrics.jobFinished(kind, level(job), job.state().name().toLowerCase(Locale.ROOT),
				Duration.between(job.createdAt(), clock.instant()));
		if (job.state() == BulkJobState.COMPLETED && job.manifestJson() != null) {
			count(kind, job.kind(), StoredManifestJson.read(job.manifestJson()));
		}
	}

	private void count(String kind, BulkJobKind jobKind, BulkManifest manifest) {
		// An import's error entries are OperationOutcome files; their input names the type of the bad lines.
		Map<String, String> inputTypes = new HashMap<>();
		for (BulkManifest.ManifestFile file : manifest.output()) {
			String type = file.type() == null ? BLOCKS : file.type();
			metrics.resources(kind, type, file.count());
			metrics.bytes(kind, type, "output", file.bytes());
			if (jobKind == BulkJobKind.IMPORT) {
				metrics.importLines(type, "stored", file.count());
				if (file.inputUrl() != null) {
					inputTypes.put(file.inputUrl(), type);
				}
			}
		}
		bytes(kind, "deleted", manifest.deleted());
		bytes(kind, "error", manifest.error());
		if (jobKind == BulkJobKind.IMPORT) {
			for (BulkManifest.ManifestFile file : manifest.error()) {
				metrics.importLines(inputTypes.getOrDefault(file.inputUrl(), "unknown"), "error", file.count());
			}
		}
	}

	private void bytes(String kind, String array, List<BulkManifest.ManifestFile> files) {
		for (BulkManifest.ManifestFile file : files) {
			metrics.bytes(kind, file.type() == null ? BLOCKS : file.type(), array, file.bytes());
		}
	}

	public static String kind(BulkJobKind kind) {
		return kind.name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Where the job was kicked off: system, patient or group. Exports keep it in their request (as
	 * {@code level}); an import is always system-level.
	 */
	static String level(BulkJob job) {
		if (job.kind() == BulkJobKind.EXPORT && job.requestJson() != null) {
			try {
				JsonNode level = JSON.readTree(job.requestJson()).get("level");
				if (level != null && level.isTextual()) {
					return level.asText().toLowerCase(Locale.ROOT);
				}
			} catch (IOException e) {
				// an unreadable request is counted at the default level
			}
		}
		return "system";
	}
}
