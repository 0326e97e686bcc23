package hapibulk.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where bulk files live. Deliberately narrow: append to a part file from a committed length, find a
 * file to serve it, delete a job's files. Other back ends (object stores) implement the same three.
 * A job's files are addressed by its {@link JobFolder} (its id, and its tenant's folder if it has a tenant).
 */
public interface BulkFileStore {

	/**
	 * Opens a part file for appending after its first {@code committedLength} bytes; anything beyond
	 * that length was written by a chunk that never committed and is discarded.
	 */
	BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException;

	Optional<StoredFile> find(JobFolder job, String fileName);

	void deleteAll(JobFolder job) throws IOException;

	/** Bytes the files of a job take now (0 when it has none). */
	long bytesHeld(JobFolder job) throws IOException;

	/**
	 * The SHA-256 of a file of {@code length} bytes if the store knows it without reading the file (it watched
	 * the file being written); empty otherwise, and then the file is read to compute it.
	 */
	default Optional<String> sha256(JobFolder job, String fileName, long length) {
		return Optional.empty();
	}

	/** Bytes the files of every job take now; empty when the back end cannot tell cheaply. */
	default OptionalLong totalBytesHeld() {
		return OptionalLong.empty();
	}

	/** Bytes still free where new files go; empty when the back end cannot tell (object stores). */
	default OptionalLong usableSpace() {
		return OptionalLong.empty();
	}

	/** A stored file, ready to be served. */
	interface StoredFile {
		long length();

		InputStream open() throws IOException;
	}
}
