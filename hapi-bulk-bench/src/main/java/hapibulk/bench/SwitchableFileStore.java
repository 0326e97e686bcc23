package hapibulk.bench;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The host's own {@link BulkFileStore} (the extension's backs off): local files or S3, switched between
 * measured exports, so both run in one process on one database.
 */
final class SwitchableFileStore implements BulkFileStore {

	private volatile BulkFileStore current;

	SwitchableFileStore(BulkFileStore initial) {
		this.current = initial;
	}

	void use(BulkFileStore store) {
		current = store;
	}

	@Override
	public BulkFileAppender openAppender(String jobId, String fileName, long committedLength) throws IOException {
		return current.openAppender(jobId, fileName, committedLength);
	}

	@Override
	public Optional<StoredFile> find(String jobId, String fileName) {
		return current.find(jobId, fileName);
	}

	@Override
	public void deleteAll(String jobId) throws IOException {
		current.deleteAll(jobId);
	}

	@Override
	public long bytesHeld(String jobId) throws IOException {
		return current.bytesHeld(jobId);
	}

	@Override
	public OptionalLong usableSpace() {
		return current.usableSpace();
	}
}
