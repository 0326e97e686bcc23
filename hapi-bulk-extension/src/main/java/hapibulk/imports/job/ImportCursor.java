package hapibulk.imports.job;

import hapibulk.storage.JobFolder;
import org.springframework.batch.item.ExecutionContext;

/**
 * Where one import partition stands, kept in its step's {@link ExecutionContext} and committed in
 * the same transaction as the resources it stored: a restarted step reopens the input, skips
 * {@code byteOffset} bytes and goes on from line {@code lineNumber + 1}, so every line is handled
 * exactly once and the counts stay exact.
 *
 * @param lineNumber  lines consumed so far (blank ones included)
 * @param byteOffset  bytes of the (decompressed) input consumed so far
 * @param stored      resources stored
 * @param errors      lines reported in the error file
 * @param errorBytes  committed length of the error file
 * @param stopped     the input was stopped by a limit (its last error line says which): nothing more is read
 */
record ImportCursor(String jobId, ImportPartition partition, long lineNumber, long byteOffset, long stored,
		long errors, long errorBytes, boolean stopped) {

	private static final String PREFIX = "import.";

	static ImportCursor start(String jobId, ImportPartition partition) {
		return new ImportCursor(jobId, partition, 0, 0, 0, 0, 0, false);
	}

	static ImportCursor from(ExecutionContext context) {
		return new ImportCursor(
				context.getString(PREFIX + "jobId"),
				ImportPartition.fromJson(context.getString(PREFIX + "partition")),
				context.getLong(PREFIX + "lineNumber"),
				context.getLong(PREFIX + "byteOffset"),
				context.getLong(PREFIX + "stored"),
				context.getLong(PREFIX + "errors"),
				context.getLong(PREFIX + "errorBytes"),
				Boolean.TRUE.equals(context.get(PREFIX + "stopped")));
	}

	/** Where the partition's error file goes: the job's folder, under the tenant it writes into (the job's). */
	JobFolder folder() {
		return JobFolder.of(jobId, partition.rights().tenant());
	}

	ExecutionContext toContext() {
		ExecutionContext context = new ExecutionContext();
		writeTo(context);
		return context;
	}

	void writeTo(ExecutionContext context) {
		context.putString(PREFIX + "jobId", jobId);
		context.putString(PREFIX + "partition", partition.toJson());
		context.putLong(PREFIX + "lineNumber", lineNumber);
		context.putLong(PREFIX + "byteOffset", byteOffset);
		context.putLong(PREFIX + "stored", stored);
		context.putLong(PREFIX + "errors", errors);
		context.putLong(PREFIX + "errorBytes", errorBytes);
		context.put(PREFIX + "stopped", stopped);
	}

	/** After more lines were consumed, with their outcome. */
	ImportCursor advance(long toLine, long toByte, long newlyStored, long newErrors, long newErrorBytes) {
		return new ImportCursor(jobId, partition, toLine, toByte, stored + newlyStored, errors + newErrors,
				newErrorBytes, stopped);
	}

	/** The same position, with the input stopped. */
	ImportCursor asStopped() {
		return new ImportCursor(jobId, partition, lineNumber, byteOffset, stored, errors, errorBytes, true);
	}
}
