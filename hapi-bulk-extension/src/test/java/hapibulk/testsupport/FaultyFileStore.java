package hapibulk.testsupport;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.JobFolder;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.ForwardingFileStore;
import hapibulk.storage.LocalFileStore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real {@link LocalFileStore} with faults to inject: a disk that is full after N more bytes, a free-space
 * figure of the test's choosing, or another directory (a small real filesystem).
 */
public final class FaultyFileStore extends ForwardingFileStore {

	private volatile BulkFileStore delegate;
	private volatile long budget = Long.MAX_VALUE;
	private volatile Long usableSpace;
	private final AtomicLong written = new AtomicLong();

	public FaultyFileStore(Path directory) {
		this.delegate = new LocalFileStore(directory);
	}

	@Override
	protected BulkFileStore delegate() {
		return delegate;
	}

	/** Appends fail with "No space left on device" once {@code bytes} more have been written. */
	public void failAfter(long bytes) {
		written.set(0);
		budget = bytes;
	}

	public void usableSpace(Long bytes) {
		usableSpace = bytes;
	}

	public void useDirectory(Path directory) {
		delegate = new LocalFileStore(directory);
	}

	public void reset(Path directory) {
		budget = Long.MAX_VALUE;
		usableSpace = null;
		delegate = new LocalFileStore(directory);
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		BulkFileAppender appender = delegate.openAppender(job, fileName, committedLength);
		return new BulkFileAppender() {
			@Override
			public void append(byte[] bytes, int offset, int length) throws IOException {
				if (written.addAndGet(length) > budget) {
					throw new IOException("No space left on device");
				}
				appender.append(bytes, offset, length);
			}

			@Override
			public long commit() throws IOException {
				return appender.commit();
			}

			@Override
			public void close() throws IOException {
				appender.close();
			}
		};
	}

	@Override
	public OptionalLong usableSpace() {
		Long chosen = usableSpace;
		return chosen != null ? OptionalLong.of(chosen) : delegate.usableSpace();
	}
}
