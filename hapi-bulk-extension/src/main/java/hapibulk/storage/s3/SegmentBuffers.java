package hapibulk.storage.s3;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Segment buffers handed from one chunk's appender to the next. Without them every chunk grows a fresh
 * buffer to its size by doubling, and arrays of a megabyte and more are what the JVM's collector handles
 * worst (in an export through S3 they were the largest allocation of all). At most {@code kept} buffers wait
 * here, so what the store holds between chunks stays below {@code kept} segment sizes.
 */
final class SegmentBuffers {

	/** What an appender holds when it holds no buffer. */
	static final byte[] NONE = new byte[0];

	private final int kept;
	private final Deque<byte[]> free = new ArrayDeque<>();

	SegmentBuffers(int kept) {
		this.kept = kept;
	}

	/** A buffer of any size (perhaps empty) that the caller owns until it gives it back. */
	synchronized byte[] take() {
		byte[] buffer = free.pollFirst();
		return buffer == null ? NONE : buffer;
	}

	synchronized void giveBack(byte[] buffer) {
		if (buffer.length > 0 && free.size() < kept) {
			free.addFirst(buffer);
		}
	}
}
