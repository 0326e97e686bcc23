package hapibulk.export.job;

import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.FileDigests;
import hapibulk.storage.JobFolder;
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
	 * @param finished the files the chunk finished ({@link ExportCursor#finishedSince}), with their digests where
	 *                 known ({@link PartDigests})
	 */
	void register(JobFolder folder, boolean deletions, List<ManifestFile> finished) throws IOException {
		BulkJobFiles.Kind kind = deletions ? BulkJobFiles.Kind.DELETED : BulkJobFiles.Kind.OUTPUT;
		for (ManifestFile file : finished) {
			jobFiles.register(folder.jobId(), kind, file.sha256() != null ? file
					: file.withSha256(FileDigests.sha256(fileStore, folder, file.file(), file.bytes())));
		}
	}
}
