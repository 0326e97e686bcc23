package hapibulk.export.job;

import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.FileDigests;
import org.springframework.batch.item.ExecutionContext;

import java.io.IOException;
import java.util.List;

/**
 * For exports that allow partial manifests: records each part file as soon as no more lines will be
 * added to it (a later part was started, or the partition ended), with its checksum, so the status
 * URL can hand it out while the export runs.
 */
class FinishedFiles {

	private static final String KEY = "export.partialManifests";

	private final BulkJobFiles jobFiles;
	private final BulkFileStore fileStore;

	FinishedFiles(BulkJobFiles jobFiles, BulkFileStore fileStore) {
		this.jobFiles = jobFiles;
		this.fileStore = fileStore;
	}

	static void turnOn(ExecutionContext partitionContext) {
		partitionContext.putString(KEY, "true");
	}

	boolean isOn(ExecutionContext partitionContext) {
		return partitionContext.containsKey(KEY);
	}

	/**
	 * @param before   the cursor before the chunk
	 * @param after    the cursor the chunk commits
	 * @param finished whether the partition has ended, which finishes its last part too
	 * @param blocks   whether the parts hold patient blocks (files without one type)
	 */
	void register(ExportCursor before, ExportCursor after, boolean finished, boolean blocks) throws IOException {
		ExportFilter filter = after.filter();
		List<ManifestFile> files = after.files(blocks && !filter.deleted() ? null : filter.type());
		BulkJobFiles.Kind kind = filter.deleted() ? BulkJobFiles.Kind.DELETED : BulkJobFiles.Kind.OUTPUT;
		for (int i = before.partIndex() - 1; i < files.size(); i++) {
			boolean closed = i < after.partIndex() - 1;
			if (closed || finished) {
				ManifestFile file = files.get(i);
				jobFiles.register(after.jobId(), kind,
						file.withSha256(FileDigests.sha256(fileStore, after.jobId(), file.file(), file.bytes())));
			}
		}
	}
}
