package hapibulk.export.job;

import hapibulk.storage.JobFolder;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.DigestingFileStore;
import org.springframework.batch.item.ExecutionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SHA-256 of each part file as its writer finished it, kept in the partition's execution context. Only the
 * process that wrote a file from its start knows its digest ({@link DigestingFileStore}); the manifest is made
 * once every partition ended, in cluster mode on the node that accepted the job, which would otherwise read every
 * file back (with an object store, the whole export over the network a second time). Committed with the chunk
 * that finished the file: a chunk that rolls back leaves no digest (Spring Batch restores the context it had), and
 * the file is then read back as before.
 */
final class PartDigests {

	private static final String KEY = "export.partDigests";
	private static final String FILES = ";";
	private static final String NAME = "=";
	private static final String LENGTH = ":";

	private PartDigests() {}

	/**
	 * Records the digests the store knows of {@code finished} (files no line will be added to).
	 *
	 * @return the files, with their digest where it is known
	 */
	static List<ManifestFile> record(BulkFileStore fileStore, ExecutionContext context, JobFolder job,
			List<ManifestFile> finished) {
		if (finished.isEmpty()) {
			// Most chunks finish no file: leave the context's text uncopied.
			return finished;
		}
		StringBuilder recorded = new StringBuilder(context.getString(KEY, ""));
		List<ManifestFile> files = new ArrayList<>(finished.size());
		for (ManifestFile file : finished) {
			Optional<String> sha256 = fileStore.sha256(job, file.file(), file.bytes());
			if (sha256.isPresent() && !file.file().contains(FILES) && !file.file().contains(NAME)) {
				recorded.append(recorded.isEmpty() ? "" : FILES).append(file.file()).append(NAME).append(file.bytes())
						.append(LENGTH).append(sha256.get());
			}
			files.add(file.withSha256(sha256.orElse(null)));
		}
		if (!recorded.isEmpty()) {
			context.putString(KEY, recorded.toString());
		}
		return files;
	}

	/** The digest recorded for the file, if it was recorded at the file's length. */
	static Optional<String> recorded(ExecutionContext partitionContext, ManifestFile file) {
		String expected = file.file() + NAME + file.bytes() + LENGTH;
		for (String entry : partitionContext.getString(KEY, "").split(FILES)) {
			if (entry.startsWith(expected)) {
				return Optional.of(entry.substring(expected.length()));
			}
		}
		return Optional.empty();
	}
}
