package hapibulk.storage;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Computes each part file's SHA-256 as it is written, so that the manifest need not read the file back (with
 * an object store, that is every byte over the network a second time). A running digest is kept per file while
 * this process appends it from its start; it is trusted only for exactly the bytes it has seen: a chunk that
 * rolled back after appending, a restart, or a file written by another node leaves the digest unknown, and
 * {@link FileDigests} then reads the file back as before.
 */
public final class DigestingFileStore extends ForwardingFileStore {

	/** More open files than this in one process: forget them all (their digests are read back instead). */
	private static final int MAX_RUNNING = 10_000;

	private final BulkFileStore store;
	private final Map<String, RunningDigest> running = new ConcurrentHashMap<>();

	public DigestingFileStore(BulkFileStore store) {
		this.store = store;
	}

	@Override
	protected BulkFileStore delegate() {
		return store;
	}

	/** The store that holds the files. */
	public BulkFileStore backEnd() {
		return store;
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		BulkFileAppender real = store.openAppender(job, fileName, committedLength);
		String key = key(job, fileName);
		RunningDigest digest = running.get(key);
		if (digest == null || digest.length != committedLength) {
			running.remove(key);
			if (committedLength != 0) {
				return real;
			}
			if (running.size() >= MAX_RUNNING) {
				running.clear();
			}
			digest = new RunningDigest();
			running.put(key, digest);
		}
		RunningDigest fed = digest;
		return new BulkFileAppender() {
			@Override
			public void append(byte[] bytes, int offset, int length) throws IOException {
				real.append(bytes, offset, length);
				fed.update(bytes, offset, length);
			}

			@Override
			public long commit() throws IOException {
				return real.commit();
			}

			@Override
			public void close() throws IOException {
				real.close();
			}
		};
	}

	@Override
	public Optional<String> sha256(JobFolder job, String fileName, long length) {
		RunningDigest digest = running.remove(key(job, fileName));
		return digest == null || digest.length != length ? Optional.empty() : Optional.of(digest.hex());
	}

	@Override
	public void deleteAll(JobFolder job) throws IOException {
		running.keySet().removeIf(key -> key.startsWith(job.path() + "/"));
		store.deleteAll(job);
	}

	private static String key(JobFolder job, String fileName) {
		return job.path() + "/" + fileName;
	}

	/** A digest and the number of bytes it has seen, both changed only by the file's one writer. */
	private static final class RunningDigest {
		private final MessageDigest digest;
		private volatile long length;

		RunningDigest() {
			try {
				digest = MessageDigest.getInstance("SHA-256");
			} catch (NoSuchAlgorithmException e) {
				throw new IllegalStateException(e);
			}
		}

		synchronized void update(byte[] bytes, int offset, int count) {
			digest.update(bytes, offset, count);
			length += count;
		}

		synchronized String hex() {
			return HexFormat.of().formatHex(digest.digest());
		}
	}
}
