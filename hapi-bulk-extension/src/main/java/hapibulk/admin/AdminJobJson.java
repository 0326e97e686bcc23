package hapibulk.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobProgress.TypeProgress;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest;
import hapibulk.job.StoredManifestJson;
import hapibulk.status.BulkStatusProvider;
import hapibulk.status.ManifestJson;
import hapibulk.job.StepProgress;
import hapibulk.support.BulkJson;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The JSON of {@code $bulk-jobs}: one object per job, and a page of them. Import sources never show their query or
 * user info (signatures, passwords); patient ids (the kick-off's query, {@code Patient/[id]}) only in the detail.
 */
final class AdminJobJson {

	static final ObjectMapper MAPPER = BulkJson.MAPPER;

	private AdminJobJson() {}

	/**
	 * @param bytesHeld what the job's files take now (null when the store cannot tell)
	 * @param serverBase the base URL for status and file links
	 */
	static ObjectNode job(BulkJobTable.Listed listed, List<TypeProgress> types, Long bytesHeld, String serverBase,
			Instant now) {
		BulkJob job = listed.job();
		ObjectNode node = MAPPER.createObjectNode();
		node.put("id", job.id());
		node.put("kind", job.kind().name().toLowerCase(Locale.ROOT));
		node.put("level", level(job));
		node.put("owner", job.owner());
		node.put("state", job.state().name().toLowerCase(Locale.ROOT));
		// The list shows no patient ids: the kick-off's query and Patient/[id] only in the detail view.
		node.put("request", ShownUrls.listedRequest(job.requestUrl()));
		time(node, "createdAt", job.createdAt());
		time(node, "startedAt", listed.startedAt());
		time(node, "finishedAt", listed.finishedAt());
		// only a finished job's files expire (a cancelled or deleted job has none left)
		boolean holdsFiles = job.state() == BulkJobState.COMPLETED || job.state() == BulkJobState.FAILED;
		time(node, "expiresAt", holdsFiles ? job.expiresAt() : null);
		if (listed.startedAt() != null) {
			Instant end = listed.finishedAt() != null ? listed.finishedAt() : now;
			node.put("durationSeconds", Math.max(0, end.toEpochMilli() - listed.startedAt().toEpochMilli()) / 1000.0);
		}
		node.set("progress", progress(JobProgress.of(job, types, listed.startedAt(), listed.finishedAt(), now)));
		files(node, job, bytesHeld, serverBase);
		if (job.state().isVisible()) {
			node.put("statusUrl", BulkStatusProvider.statusUrl(serverBase, job.id()));
		}
		return node;
	}

	/** The detail of one job: the list's fields, each step of Spring Batch, and why it failed. */
	static ObjectNode detail(ObjectNode job, BulkJob row, List<StepProgress> steps) {
		ArrayNode partitions = job.putArray("steps");
		for (StepProgress step : steps) {
			ObjectNode node = partitions.addObject();
			node.put("name", step.name());
			node.put("status", step.status().toLowerCase(Locale.ROOT));
			node.put("written", step.written());
			node.put("commits", step.commits());
			time(node, "startedAt", step.startedAt());
			time(node, "finishedAt", step.finishedAt());
			if (step.node() != null) {
				node.put("node", step.node());
			}
		}
		// The kick-off URL as it came (patient ids included): administrators look at one job on purpose, audited.
		job.put("request", row.requestUrl());
		// The job id is what the server's log lines of this job carry.
		job.put("correlationId", row.id());
		if (row.state() == BulkJobState.FAILED) {
			job.put("failure", row.errorMessage());
		}
		return job;
	}

	private static ObjectNode progress(JobProgress progress) {
		ObjectNode node = MAPPER.createObjectNode();
		node.put("unit", progress.unit());
		node.put("done", progress.done());
		node.put("total", progress.total());
		node.put("percent", progress.percent());
		node.put("perSecond", progress.perSecond() == null ? null : Math.round(progress.perSecond() * 10) / 10.0);
		node.put("secondsLeft", progress.secondsLeft());
		ArrayNode types = node.putArray("types");
		for (TypeProgress type : progress.types()) {
			types.addObject().put("type", type.type()).put("done", type.done()).put("total", type.total())
					.put("percent", JobProgress.percent(type));
		}
		return node;
	}

	/** Files and errors: from the manifest once the job completed; before, only the bytes its files take. */
	private static void files(ObjectNode node, BulkJob job, Long bytesHeld, String serverBase) {
		ObjectNode files = node.putObject("files");
		ObjectNode errors = node.putObject("errors");
		ArrayNode errorFiles = errors.putArray("files");
		if (job.state() != BulkJobState.COMPLETED || job.manifestJson() == null) {
			files.putNull("count");
			files.put("bytes", bytesHeld);
			errors.put("count", 0);
			return;
		}
		BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
		List<BulkManifest.ManifestFile> stored = manifest.files().filter(file -> file.file() != null).toList();
		files.put("count", stored.size());
		files.put("bytes", stored.stream().mapToLong(BulkManifest.ManifestFile::bytes).sum());
		errors.put("count", manifest.error().stream().mapToLong(BulkManifest.ManifestFile::count).sum());
		for (BulkManifest.ManifestFile error : manifest.error()) {
			if (error.file() != null) {
				errorFiles.addObject().put("count", error.count()).put("input", ShownUrls.source(error.inputUrl()))
						.put("url", ManifestJson.fileUrl(serverBase, job.id(), error.file()));
			}
		}
	}

	/** system, patient or group, from the kick-off URL (an import is system level). */
	static String level(BulkJob job) {
		String path = job.requestUrl().split("\\?", 2)[0];
		if (path.matches(".*/Group/[^/]+/\\$export$")) {
			return "group";
		}
		return path.matches(".*/Patient(/[^/]+)?/\\$export$") ? "patient" : "system";
	}

	private static void time(ObjectNode node, String name, Instant instant) {
		node.put(name, instant == null ? null : instant.toString());
	}
}
