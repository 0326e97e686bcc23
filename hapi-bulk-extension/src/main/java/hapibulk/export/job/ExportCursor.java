package hapibulk.export.job;

import hapibulk.storage.JobFolder;
import hapibulk.job.BulkManifest.ManifestFile;
import org.springframework.batch.item.ExecutionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one export partition stands, kept in its step's {@link ExecutionContext} and committed with
 * every chunk: the last resource key written and the state of the part files. A restarted step
 * resumes from here, truncating the open part file to {@code partBytes}.
 *
 * @param filter         what the partition selects (fixed for the job)
 * @param lastPid        the last resource key written (keyset paging: the next page starts after it)
 * @param partIndex      the part file being written, from 1
 * @param partCount      resources in that part so far
 * @param partBytes      committed bytes of that part
 * @param completedParts the finished parts as {@code count:bytes} separated by {@code ;}, with {@code :+}
 *                       added to a part whose last block continues in the next part
 */
public record ExportCursor(String jobId, ExportFilter filter, long lastPid, int partIndex, long partCount,
		long partBytes, String completedParts) {

	private static final String PREFIX = "export.";

	public static ExportCursor start(String jobId, ExportFilter filter) {
		return new ExportCursor(jobId, filter, Long.MIN_VALUE, 1, 0, 0, "");
	}

	public static ExportCursor from(ExecutionContext context) {
		return new ExportCursor(
				context.getString(PREFIX + "jobId"),
				ExportFilter.fromJson(context.getString(PREFIX + "filter")),
				context.getLong(PREFIX + "lastPid"),
				context.getInt(PREFIX + "partIndex"),
				context.getLong(PREFIX + "partCount"),
				context.getLong(PREFIX + "partBytes"),
				context.getString(PREFIX + "completedParts"));
	}

	public ExecutionContext toContext() {
		ExecutionContext context = new ExecutionContext();
		writeTo(context);
		return context;
	}

	public void writeTo(ExecutionContext context) {
		context.putString(PREFIX + "jobId", jobId);
		context.putString(PREFIX + "filter", filter.toJson());
		context.putLong(PREFIX + "lastPid", lastPid);
		context.putInt(PREFIX + "partIndex", partIndex);
		context.putLong(PREFIX + "partCount", partCount);
		context.putLong(PREFIX + "partBytes", partBytes);
		context.putString(PREFIX + "completedParts", completedParts);
	}

	/** Where the partition's part files go: the job's folder, under the tenant its filter reads (the job's). */
	public JobFolder folder() {
		return JobFolder.of(jobId, filter.tenant());
	}

	public String partFileName() {
		return fileName(partIndex);
	}

	public ExportCursor afterPid(long pid) {
		return new ExportCursor(jobId, filter, pid, partIndex, partCount, partBytes, completedParts);
	}

	public ExportCursor withPart(long count, long bytes) {
		return new ExportCursor(jobId, filter, lastPid, partIndex, count, bytes, completedParts);
	}

	/** Closes the current part and starts the next, empty one. */
	public ExportCursor nextPart(boolean blockContinues) {
		String completed = (completedParts.isEmpty() ? "" : completedParts + ";") + partCount + ":" + partBytes
				+ (blockContinues ? ":+" : "");
		return new ExportCursor(jobId, filter, lastPid, partIndex + 1, 0, 0, completed);
	}

	/**
	 * Every non-empty part file of this partition, for the manifest (no checksums yet).
	 *
	 * @param type the type of every line, or null when the parts hold blocks of several types
	 */
	public List<ManifestFile> files(String type) {
		List<ManifestFile> files = new ArrayList<>();
		if (!completedParts.isEmpty()) {
			String[] parts = completedParts.split(";");
			for (int i = 0; i < parts.length; i++) {
				String[] countAndBytes = parts[i].split(":");
				String continuesIn = countAndBytes.length > 2 ? fileName(i + 2) : null;
				files.add(new ManifestFile(type, fileName(i + 1), Long.parseLong(countAndBytes[0]),
						Long.parseLong(countAndBytes[1]), null, continuesIn, null));
			}
		}
		if (partCount > 0) {
			files.add(new ManifestFile(type, partFileName(), partCount, partBytes, null, null, null));
		}
		return files;
	}

	/**
	 * The parts finished between {@code before} and this cursor: those closed since, and the last one too when
	 * the partition has ended.
	 *
	 * @param type as for {@link #files}
	 */
	public List<ManifestFile> finishedSince(ExportCursor before, boolean partitionEnded, String type) {
		List<ManifestFile> files = files(type);
		List<ManifestFile> finished = new ArrayList<>();
		for (int i = before.partIndex() - 1; i < files.size(); i++) {
			if (i < partIndex - 1 || partitionEnded) {
				finished.add(files.get(i));
			}
		}
		return finished;
	}

	private String fileName(int index) {
		return filter.partitionName() + "-" + index + ".ndjson";
	}
}
