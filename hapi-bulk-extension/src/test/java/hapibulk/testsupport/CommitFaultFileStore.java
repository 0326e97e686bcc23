package hapibulk.testsupport;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.JobFolder;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.ForwardingFileStore;
import org.springframework.dao.TransientDataAccessResourceException;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Any real store, with one fault to inject: a chunk whose lines reached the store (its commit there
 * succeeded) but whose transaction then failed, as when the database goes away at the chunk's commit.
 * The failure is a transient database error, so the step runs the chunk again from its committed cursor,
 * the path a restart after a crash takes too.
 */
public final class CommitFaultFileStore extends ForwardingFileStore {

	private final BulkFileStore delegate;
	private final AtomicInteger commitsBeforeFault = new AtomicInteger(-1);
	private final AtomicInteger faults = new AtomicInteger();

	public CommitFaultFileStore(BulkFileStore delegate) {
		this.delegate = delegate;
	}

	@Override
	protected BulkFileStore delegate() {
		return delegate;
	}

	/** The commit after the next {@code commits} stores its bytes, then fails once. */
	public void failAfterCommits(int commits) {
		faults.set(0);
		commitsBeforeFault.set(commits);
	}

	/** How often the fault fired since {@link #failAfterCommits}. */
	public int faults() {
		return faults.get();
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		return InterceptedCommits.around(delegate.openAppender(job, fileName, committedLength), real -> {
			long length = real.commit();
			if (commitsBeforeFault.getAndDecrement() == 0) {
				faults.incrementAndGet();
				throw new TransientDataAccessResourceException("Injected: the database went away after chunk lines"
						+ " reached the store, before the chunk's transaction committed");
			}
			return length;
		});
	}

}
