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
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		return delegate().openAppender(job, fileName, committedLength);
	}

	@Override
	public Optional<StoredFile> find(JobFolder job, String fileName) {
		return delegate().find(job, fileName);
	}

	@Override
	public void deleteAll(JobFolder job) throws IOException {
		delegate().deleteAll(job);
	}

	@Override
	public long bytesHeld(JobFolder job) throws IOException {
		return delegate().bytesHeld(job);
	}

	@Override
	public Optional<String> sha256(JobFolder job, String fileName, long length) {
		return delegate().sha256(job, fileName, length);
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
