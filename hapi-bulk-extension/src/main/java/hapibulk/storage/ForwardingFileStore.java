package hapibulk.storage;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A store that hands every call to another: extend it to change what one call does (encrypt, inject a fault,
 * switch back ends) and keep the rest, including calls added to {@link BulkFileStore} later.
 */
public abstract class ForwardingFileStore implements BulkFileStore {

	/** The store the calls go to; it may change between calls. */
	protected abstract BulkFileStore delegate();

	@Override
	public BulkFileAppender openAppender(String jobId, String fileName, long committedLength) throws IOException {
		return delegate().openAppender(jobId, fileName, committedLength);
	}

	@Override
	public Optional<StoredFile> find(String jobId, String fileName) {
		return delegate().find(jobId, fileName);
	}

	@Override
	public void deleteAll(String jobId) throws IOException {
		delegate().deleteAll(jobId);
	}

	@Override
	public long bytesHeld(String jobId) throws IOException {
		return delegate().bytesHeld(jobId);
	}

	@Override
	public Optional<String> sha256(String jobId, String fileName, long length) {
		return delegate().sha256(jobId, fileName, length);
	}

	@Override
	public OptionalLong totalBytesHeld() {
		return delegate().totalBytesHeld();
	}

	@Override
	public OptionalLong usableSpace() {
		return delegate().usableSpace();
	}
}
