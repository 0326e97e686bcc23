package hapibulk.imports.job;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads NDJSON lines with their line numbers and byte positions. A line longer than
 * {@code maxLineBytes} is consumed to its end but not kept (only its length), so one huge line
 * cannot exhaust the heap.
 */
final class NdjsonLineReader implements Closeable {

	/**
	 * @param number  the line's number in the input, from 1
	 * @param text    the line without its line break; null when it was longer than the limit
	 * @param bytes   the line's length in bytes, without the line break
	 * @param start   the input's byte offset of the line's first byte
	 * @param end     the input's byte offset just after the line and its line break
	 */
	record Line(long number, String text, long bytes, long start, long end) {
		boolean tooLong() {
			return text == null;
		}

		boolean blank() {
			return text != null && text.isBlank();
		}
	}

	private static final int BUFFER_BYTES = 1 << 16;

	private final InputStream in;
	private final int maxLineBytes;
	private final byte[] buffer = new byte[BUFFER_BYTES];
	private int position;
	private int limit;
	private byte[] line = new byte[1024];
	private long lineNumber;
	private long offset;

	/** Starts after {@code startLine} lines that end at {@code startOffset}; those bytes are skipped. */
	NdjsonLineReader(InputStream in, int maxLineBytes, long startLine, long startOffset) throws IOException {
		this(in, maxLineBytes, startLine, startOffset, false);
	}

	/** @param positioned whether {@code in} already starts at {@code startOffset} (nothing to skip) */
	NdjsonLineReader(InputStream in, int maxLineBytes, long startLine, long startOffset, boolean positioned)
			throws IOException {
		this.in = in;
		this.maxLineBytes = maxLineBytes;
		if (!positioned) {
			in.skipNBytes(startOffset);
		}
		this.lineNumber = startLine;
		this.offset = startOffset;
	}

	/**
	 * Reads past the rest of the line that byte {@code offset - 1} belongs to: {@code in} starts at
	 * {@code offset - 1}. Returns the offset of the first line that starts at or after {@code offset}, which is
	 * where a part of an input that begins at {@code offset} begins (the line before belongs to the part before).
	 */
	static long skipToLineStart(InputStream in, long offset) throws IOException {
		long position = offset - 1;
		int b;
		while ((b = in.read()) >= 0) {
			position++;
			if (b == '\n') {
				break;
			}
		}
		return position;
	}

	/** The stream it reads. */
	InputStream input() {
		return in;
	}

	/** Lines consumed so far. */
	long lineNumber() {
		return lineNumber;
	}

	/** Bytes consumed so far. */
	long offset() {
		return offset;
	}

	/** The next line, or null at the end of the input. */
	Line next() throws IOException {
		int kept = 0;
		long length = 0;
		long lineStart = offset;
		boolean sawAny = false;
		while (true) {
			if (position == limit) {
				limit = in.read(buffer, 0, BUFFER_BYTES);
				position = 0;
				if (limit <= 0) {
					limit = 0;
					if (!sawAny) {
						return null;
					}
					break;
				}
			}
			sawAny = true;
			int start = position;
			int end = start;
			while (end < limit && buffer[end] != '\n') {
				end++;
			}
			int chunk = end - start;
			if (length + chunk <= maxLineBytes) {
				ensureCapacity(kept + chunk);
				System.arraycopy(buffer, start, line, kept, chunk);
				kept += chunk;
			}
			length += chunk;
			offset += chunk;
			position = end;
			if (end < limit) {
				position++;
				offset++;
				break;
			}
		}
		lineNumber++;
		if (length > maxLineBytes) {
			return new Line(lineNumber, null, length, lineStart, offset);
		}
		int textLength = kept > 0 && line[kept - 1] == '\r' ? kept - 1 : kept;
		return new Line(lineNumber, new String(line, 0, textLength, StandardCharsets.UTF_8), length, lineStart, offset);
	}

	private void ensureCapacity(int needed) {
		if (needed > line.length) {
			line = Arrays.copyOf(line, Math.max(needed, Math.min(maxLineBytes, line.length * 2)));
		}
	}

	@Override
	public void close() throws IOException {
		in.close();
	}
}
