package hapibulk.storage.s3;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The segment objects of one part file, in key order, and the chain that starts at offset 0: each
 * segment starts where the one before ends. Segments off the chain, or past a committed length, were
 * written by chunks that never committed.
 */
record SegmentChain(List<Segment> segments) {

	/** One segment object: the bytes {@code [start, start + size)} of its part file. */
	record Segment(String key, long start, long size) {
		long end() {
			return start + size;
		}
	}

	/** The segments from offset 0, each starting where the one before ends. */
	List<Segment> chain() {
		List<Segment> chain = new ArrayList<>();
		long next = 0;
		for (Segment segment : segments) {
			if (segment.start() != next) {
				break;
			}
			chain.add(segment);
			next = segment.end();
		}
		return chain;
	}

	/** The chain's length: the bytes a reader gets. */
	long length() {
		List<Segment> chain = chain();
		return chain.isEmpty() ? 0 : chain.get(chain.size() - 1).end();
	}

	/** Whether no segment exists at all (the file was never committed). */
	boolean isEmpty() {
		return segments.isEmpty();
	}

	/**
	 * The segments to delete before appending after {@code committedLength}: every segment at or past
	 * it. Fails when the chain does not reach that length at a segment boundary, which means committed
	 * bytes are missing.
	 */
	List<Segment> beyond(long committedLength) throws IOException {
		if (committedLength > 0) {
			boolean boundary = chain().stream().anyMatch(segment -> segment.end() == committedLength);
			if (!boundary) {
				throw new IOException("The segments of a part file reach " + length()
						+ " bytes without a boundary at its committed length " + committedLength);
			}
		}
		return segments.stream().filter(segment -> segment.start() >= committedLength).toList();
	}
}
