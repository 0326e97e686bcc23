package hapibulk.storage;

import javax.crypto.Cipher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

import static hapibulk.storage.EncryptedRecords.END_BYTES;
import static hapibulk.storage.EncryptedRecords.END_MARKER;
import static hapibulk.storage.EncryptedRecords.NONCE_BYTES;
import static hapibulk.storage.EncryptedRecords.OVERHEAD;
import static hapibulk.storage.EncryptedRecords.RECORD_BYTES;

/**
 * Collects plaintext and stores it sealed: a record whenever {@value EncryptedRecords#RECORD_BYTES} bytes are
 * buffered, and at commit, which also ends the file with an end record. Appending after a commit first cuts that
 * end record off again (the stored file is reopened at the position before it): the file on disk ends with an end
 * record exactly when its last commit is complete.
 */
final class SealingAppender implements BulkFileAppender {

	/** Reopens the stored file for appending after its first {@code storedLength} bytes. */
	interface Reopening {
		BulkFileAppender at(long storedLength) throws IOException;
	}

	private static final SecureRandom RANDOM = new SecureRandom();

	private final Reopening reopening;
	private final EncryptedRecords.Header header;
	private final EncryptionKeys.Key key;
	private final String jobId;
	private final String fileName;
	private final byte[] plaintext = new byte[RECORD_BYTES];
	private BulkFileAppender out;
	private int buffered;
	/** The plaintext offset of the first buffered byte. */
	private long offset;
	/** Bytes stored before the end record, if one was written (or all stored bytes). */
	private long stored;
	private boolean ended;

	/**
	 * @param out    the stored file, open after its first {@code stored} bytes (its header, when a new file, is
	 *               written here)
	 * @param header the file's header: the first layout's files (no key id) get no end records
	 */
	SealingAppender(BulkFileAppender out, Reopening reopening, EncryptedRecords.Header header, EncryptionKeys.Key key,
			String jobId, String fileName, long offset, long stored, boolean newFile) throws IOException {
		this.out = out;
		this.reopening = reopening;
		this.header = header;
		this.key = key;
		this.jobId = jobId;
		this.fileName = fileName;
		this.offset = offset;
		this.stored = stored;
		if (newFile) {
			byte[] bytes = EncryptedRecords.header(header.keyId());
			out.append(bytes, 0, bytes.length);
			this.stored = bytes.length;
		}
	}

	@Override
	public void append(byte[] bytes, int from, int length) throws IOException {
		if (length > 0 && ended) {
			out.close();
			out = reopening.at(stored);
			ended = false;
		}
		while (length > 0) {
			int taken = Math.min(length, RECORD_BYTES - buffered);
			System.arraycopy(bytes, from, plaintext, buffered, taken);
			buffered += taken;
			from += taken;
			length -= taken;
			if (buffered == RECORD_BYTES) {
				seal();
			}
		}
	}

	@Override
	public long commit() throws IOException {
		if (buffered > 0) {
			seal();
		}
		if (!header.legacy() && !ended) {
			writeEnd();
		}
		out.commit();
		return offset;
	}

	@Override
	public void close() throws IOException {
		out.close();
	}

	private void seal() throws IOException {
		byte[] nonce = nonce();
		Cipher cipher = EncryptedRecords.cipher(Cipher.ENCRYPT_MODE, key, nonce,
				EncryptedRecords.associatedData(header, jobId, fileName, offset));
		ByteBuffer record = ByteBuffer.allocate(OVERHEAD + buffered);
		record.putInt(buffered).put(nonce);
		try {
			cipher.doFinal(ByteBuffer.wrap(plaintext, 0, buffered), record);
		} catch (GeneralSecurityException e) {
			throw new IOException("Cannot encrypt a record of " + fileName, e);
		}
		out.append(record.array(), 0, record.position());
		stored += record.position();
		offset += buffered;
		buffered = 0;
	}

	private void writeEnd() throws IOException {
		byte[] nonce = nonce();
		Cipher cipher = EncryptedRecords.cipher(Cipher.ENCRYPT_MODE, key, nonce,
				EncryptedRecords.endAssociatedData(header, jobId, fileName, offset));
		ByteBuffer record = ByteBuffer.allocate(END_BYTES);
		record.putInt(END_MARKER).put(nonce);
		try {
			cipher.doFinal(ByteBuffer.allocate(8).putLong(offset).flip(), record);
		} catch (GeneralSecurityException e) {
			throw new IOException("Cannot encrypt the end record of " + fileName, e);
		}
		out.append(record.array(), 0, record.position());
		ended = true;
	}

	private static byte[] nonce() {
		byte[] nonce = new byte[NONCE_BYTES];
		RANDOM.nextBytes(nonce);
		return nonce;
	}
}
