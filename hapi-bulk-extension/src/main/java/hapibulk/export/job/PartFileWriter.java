package hapibulk.export.job;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;

import java.io.Closeable;
import java.io.IOException;

/**
 * Writes one partition's NDJSON lines into part files {@code Type-1.ndjson}, {@code Type-2.ndjson}
 * ..., starting a new part when the current one reaches the count or byte limit.
 */
class PartFileWriter implements Closeable {

	private final BulkFileStore fileStore;
	private final long maxCount;
	private final long maxBytes;
	private ExportCursor cursor;
	private BulkFileAppender appender;
	private long count;
	private long bytes;

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
			commit();
			close();
			appender = null;
			cursor = cursor.nextPart();
			count = 0;
			bytes = 0;
		}
		if (appender == null) {
			appender = fileStore.openAppender(cursor.jobId(), cursor.partFileName(), cursor.partBytes());
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
