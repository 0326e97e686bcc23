package hapibulk.testsupport;

import hapibulk.storage.BulkFileAppender;

import java.io.IOException;

/**
 * Fault injection around a real part-file appender: appends and close go through, and each commit is handed
 * to the test's hook, which decides when the real commit runs, and whether it runs at all.
 */
public final class InterceptedCommits implements BulkFileAppender {

	/** What a commit does instead: call {@code real.commit()} (or not) and return the durable length. */
	@FunctionalInterface
	public interface CommitHook {
		long commit(BulkFileAppender real) throws IOException;
	}

	private final BulkFileAppender real;
	private final CommitHook hook;

	private InterceptedCommits(BulkFileAppender real, CommitHook hook) {
		this.real = real;
		this.hook = hook;
	}

	public static BulkFileAppender around(BulkFileAppender real, CommitHook hook) {
		return new InterceptedCommits(real, hook);
	}

	@Override
	public void append(byte[] bytes, int offset, int length) throws IOException {
		real.append(bytes, offset, length);
	}

	@Override
	public long commit() throws IOException {
		return hook.commit(real);
	}

	@Override
	public void close() throws IOException {
		real.close();
	}
}
