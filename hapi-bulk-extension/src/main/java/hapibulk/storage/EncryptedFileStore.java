package hapibulk.storage;

import javax.crypto.SecretKey;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

import static hapibulk.storage.EncryptedRecords.END_MARKER;
import static hapibulk.storage.EncryptedRecords.NONCE_BYTES;
import static hapibulk.storage.EncryptedRecords.OVERHEAD;
import static hapibulk.storage.EncryptedRecords.TAG_BYTES;

/**
 * Encrypts the files of another store at rest with AES-256-GCM (the JDK's {@code javax.crypto}). A GCM
 * stream cannot be appended to, and a restarted chunk appends to a file written before the crash, so
 * a file is a header naming its key, then a series of sealed records, each with its own random nonce, at most
 * {@value EncryptedRecords#RECORD_BYTES} bytes of plaintext each, and an end record ({@link EncryptedRecords}).
 * A commit seals what was appended since the last one and ends the file; a file cut short, even at a record
 * boundary, fails to read. Each record's associated data names its job, file and plaintext offset, so records
 * cannot be moved between files or places unnoticed.
 * <p>
 * Keys rotate: new files are written with {@code encryption-key}; a file is read with the key its header names,
 * which may be one of {@code encryption-old-keys} ({@link EncryptionKeys}). Files written before files had headers
 * are still read (with whichever configured key opens them), and a part file of that layout resumed after an
 * upgrade goes on in its own layout.
 * <p>
 * Lengths and offsets seen through this store are those of the plaintext (what a client downloads,
 * what the manifest counts and hashes); the committed length a writer restarts from is mapped to the
 * record boundary on disk by walking the record headers.
 */
public class EncryptedFileStore extends ForwardingFileStore {

	static final int RECORD_BYTES = EncryptedRecords.RECORD_BYTES;

	private final BulkFileStore stored;
	private final EncryptionKeys keys;

	public EncryptedFileStore(BulkFileStore stored, EncryptionKeys keys) {
		this.stored = stored;
		this.keys = keys;
	}

	public EncryptedFileStore(BulkFileStore stored, SecretKey key) {
		this(stored, EncryptionKeys.of(key));
	}

	@Override
	protected BulkFileStore delegate() {
		return stored;
	}

	/** The key of {@code hapi.bulk.storage.encryption-key}: base64 of 32 bytes. */
	public static SecretKey key(String base64) {
		return EncryptionKeys.parse(base64, "hapi.bulk.storage.encryption-key");
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		// The records' associated data names the job by its id (not its folder): files written before jobs had
		// tenant folders still open.
		String jobId = job.jobId();
		SealingAppender.Reopening reopening = storedLength -> stored.openAppender(job, fileName, storedLength);
		if (committedLength == 0) {
			EncryptedRecords.Header header = new EncryptedRecords.Header(keys.current().id(), 0);
			return new SealingAppender(stored.openAppender(job, fileName, 0), reopening, header, keys.current(), jobId,
					fileName, 0, 0, true);
		}
		Resumed resumed = resumePoint(job, fileName, committedLength);
		return new SealingAppender(stored.openAppender(job, fileName, resumed.storedOffset()), reopening,
				resumed.header(), resumed.key(), jobId, fileName, committedLength, resumed.storedOffset(), false);
	}

	@Override
	public Optional<StoredFile> find(JobFolder job, String fileName) {
		if (job == null) {
			return Optional.empty();
		}
		String jobId = job.jobId();
		return stored.find(job, fileName).map(file -> new StoredFile() {
			@Override
			public long length() {
				try (InputStream in = file.open()) {
					return plaintextLength(in, "File " + fileName + " of job " + jobId);
				} catch (IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			}

			@Override
			public InputStream open() throws IOException {
				return new OpeningInputStream(file.open(), keys, jobId, fileName);
			}
		});
	}

	/** Where a resumed writer goes on: its file's layout and key, and the stored offset of its committed length. */
	private record Resumed(EncryptedRecords.Header header, EncryptionKeys.Key key, long storedOffset) {}

	private Resumed resumePoint(JobFolder job, String fileName, long plaintextOffset) throws IOException {
		String what = "Part file " + fileName + " of " + job;
		StoredFile file = stored.find(job, fileName).orElseThrow(() -> new IOException(what + " is missing; its"
				+ " committed length is " + plaintextOffset));
		try (DataInputStream in = new DataInputStream(new BufferedInputStream(file.open(), 1 << 16))) {
			EncryptedRecords.Header header = EncryptedRecords.readHeader(in, what);
			// a file of the first layout goes on with the current key (it was written with it, or a restart during a
			// key change mixes keys in one file, which the reader does not follow: finish such jobs before rotating)
			EncryptionKeys.Key key = header.legacy() ? keys.current() : keys.find(header.keyId())
					.orElseThrow(() -> EncryptedRecords.unknownKey(what, header.keyId()));
			long plaintext = 0;
			long position = header.length();
			while (plaintext < plaintextOffset) {
				int length = in.readInt();
				if (length == END_MARKER) {
					throw new IOException(what + " ends at " + plaintext + " bytes, before its committed length "
							+ plaintextOffset);
				}
				in.skipNBytes(NONCE_BYTES + length + TAG_BYTES);
				plaintext += length;
				position += OVERHEAD + length;
			}
			if (plaintext != plaintextOffset) {
				throw new IOException(what + " has no record boundary at its committed length " + plaintextOffset);
			}
			return new Resumed(header, key, position);
		} catch (EOFException e) {
			throw new IOException(what + " is shorter than its committed length " + plaintextOffset, e);
		}
	}

	/** The plaintext bytes the records hold (unauthenticated: reading the file checks them). */
	private static long plaintextLength(InputStream stream, String what) throws IOException {
		DataInputStream in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
		EncryptedRecords.Header header = EncryptedRecords.readHeader(in, what);
		long plaintext = 0;
		while (true) {
			Integer length = EncryptedRecords.readLength(in);
			if (length == null || (length == END_MARKER && !header.legacy())) {
				return plaintext;
			}
			in.skipNBytes(NONCE_BYTES + length + TAG_BYTES);
			plaintext += length;
		}
	}
}
