package hapibulk.storage;

import java.io.Closeable;
import java.io.IOException;

/** Appends bytes to one part file; {@link #commit()} makes them durable. */
public interface BulkFileAppender extends Closeable {

	void append(byte[] bytes, int offset, int length) throws IOException;

	/** Flushes and syncs what was appended; returns the file's durable length. */
	long commit() throws IOException;
}
