package hapibulk.export.job;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;

import java.io.Closeable;
import java.io.IOException;

/**
 * Writes one partition's NDJSON lines into part files {@code Type-1.ndjson}, {@code Type-2.ndjson}
 * ..., starting a new part when the current one reaches the count or byte limit. For output
 * organised in blocks, a block cut by a new part has its header repeated at the top of that part,
 * and the part before is marked as continuing in it.
 */
class PartFileWriter implements Closeable {

	private final BulkFileStore fileStore;
	private final long maxCount;
	private final long maxBytes;
	private ExportCursor cursor;
	private BulkFileAppender appender;
	private long count;
	private long bytes;
	/** The header line of the block being written, or null outside blocks. */
	private byte[] blockHeader;

	PartFileWriter(BulkFileStore fileStore, ExportCursor cursor, long maxCount, long maxBytes) {
		this.fileStore = fileStore;
		this.cursor = cursor;
		this.maxCount = maxCount;
		this.maxBytes = maxBytes;
		this.count = cursor.partCount();
		this.bytes = cursor.partBytes();
	}

	void write(byte[] line) throws IOException {
		if (count > 0 && (count >= maxCount || bytes + line.length > maxBytes)) {
			nextPart(blockHeader != null);
			if (blockHeader != null) {
				append(blockHeader);
			}
		}
		append(line);
	}

	/** Starts a block: its header line, then the block's lines through {@link #write}. */
	void startBlock(byte[] header) throws IOException {
		blockHeader = null;
		write(header);
		blockHeader = header;
	}

	private void nextPart(boolean continues) throws IOException {
		commit();
		close();
		appender = null;
		cursor = cursor.nextPart(continues);
		count = 0;
		bytes = 0;
	}

	private void append(byte[] line) throws IOException {
		if (appender == null) {
			appender = fileStore.openAppender(cursor.folder(), cursor.partFileName(), cursor.partBytes());
		}
		appender.append(line, 0, line.length);
		count++;
		bytes += line.length;
	}

	/** Makes everything written durable and returns the cursor that records it. */
	ExportCursor commit() throws IOException {
		if (appender != null) {
			long durable = appender.commit();
			cursor = cursor.withPart(count, durable);
		}
		return cursor;
	}

	@Override
	public void close() throws IOException {
		if (appender != null) {
			appender.close();
		}
	}
}
