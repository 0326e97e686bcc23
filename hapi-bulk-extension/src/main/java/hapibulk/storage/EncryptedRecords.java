package hapibulk.storage;

import hapibulk.support.BulkErrors;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The layout of an encrypted bulk file (see {@link EncryptedFileStore}):
 * <pre>
 * header       "HBE2" [key id length: 1 byte] [key id: ASCII]
 * data record  [plaintext length: 4 bytes, 1..RECORD_BYTES] [nonce: 12 bytes] [ciphertext + 16-byte tag]
 * end record   [-1: 4 bytes] [nonce: 12 bytes] [the plaintext length so far, 8 bytes, sealed + 16-byte tag]
 * </pre>
 * Each commit ends the file with an end record (the next append replaces it), so a file cut at a record boundary
 * lacks it and fails to read. Every record's associated data names the format, the key id, the job, the file and
 * the plaintext offset: records cannot be moved between files or places, and a file cannot pass for the older
 * layout (no header, no end record) by losing its header.
 */
final class EncryptedRecords {

	static final int RECORD_BYTES = 1 << 20;
	static final int LENGTH_BYTES = 4;
	static final int NONCE_BYTES = 12;
	static final int TAG_BYTES = 16;
	static final int OVERHEAD = LENGTH_BYTES + NONCE_BYTES + TAG_BYTES;
	static final int END_MARKER = -1;
	static final int END_BYTES = OVERHEAD + 8;
	private static final byte[] MAGIC = {'H', 'B', 'E', '2'};
	private static final String TRANSFORMATION = "AES/GCM/NoPadding";

	private EncryptedRecords() {}

	/** What a file's header says: its key id, or null for a file of the first layout (no header). */
	record Header(String keyId, int length) {
		boolean legacy() {
			return keyId == null;
		}
	}

	static byte[] header(String keyId) {
		byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
		byte[] header = Arrays.copyOf(MAGIC, MAGIC.length + 1 + id.length);
		header[MAGIC.length] = (byte) id.length;
		System.arraycopy(id, 0, header, MAGIC.length + 1, id.length);
		return header;
	}

	/**
	 * Reads the header. A file of the first layout starts with a record length, whose first byte is 0 (records hold
	 * at most 1 MiB): then nothing is consumed but the caller must re-read from the start ({@code length} 0).
	 */
	static Header readHeader(DataInputStream in, String what) throws IOException {
		in.mark(MAGIC.length);
		byte[] magic = in.readNBytes(MAGIC.length);
		if (magic.length == 0) {
			throw truncated(what, "is empty");
		}
		if (!Arrays.equals(magic, MAGIC)) {
			if (magic[0] != 0) {
				throw new IOException(what + " is not an encrypted bulk file");
			}
			in.reset();
			return new Header(null, 0);
		}
		int idLength = in.read();
		byte[] id = idLength < 0 ? new byte[0] : in.readNBytes(idLength);
		if (idLength < 0 || id.length != idLength) {
			throw truncated(what, "ends inside its header");
		}
		return new Header(new String(id, StandardCharsets.US_ASCII), MAGIC.length + 1 + idLength);
	}

	static byte[] associatedData(Header header, String jobId, String fileName, long plaintextOffset) {
		String place = jobId + "/" + fileName + "@" + plaintextOffset;
		return (header.legacy() ? place : "v2|" + header.keyId() + "|" + place).getBytes(StandardCharsets.UTF_8);
	}

	static byte[] endAssociatedData(Header header, String jobId, String fileName, long plaintextOffset) {
		return ("v2|" + header.keyId() + "|" + jobId + "/" + fileName + "@end@" + plaintextOffset)
				.getBytes(StandardCharsets.UTF_8);
	}

	static Cipher cipher(int mode, EncryptionKeys.Key key, byte[] nonce, byte[] associatedData) throws IOException {
		try {
			Cipher cipher = Cipher.getInstance(TRANSFORMATION);
			cipher.init(mode, key.secret(), new GCMParameterSpec(TAG_BYTES * 8, nonce));
			cipher.updateAAD(associatedData);
			return cipher;
		} catch (GeneralSecurityException e) {
			throw new IOException("AES-GCM is not available", e);
		}
	}

	/** The next record's length field; {@code null} at the end of the stream. */
	static Integer readLength(DataInputStream in) throws IOException {
		try {
			return in.readInt();
		} catch (EOFException end) {
			return null;
		}
	}

	static IOException unknownKey(String what, String keyId) {
		return new IOException(BulkErrors.code(677) + what + " was encrypted with key " + keyId + ", which is neither"
				+ " hapi.bulk.storage.encryption-key nor one of encryption-old-keys");
	}

	static IOException truncated(String what, String how) {
		return new IOException(BulkErrors.code(676) + what + " " + how + ": the encrypted file is truncated (it lacks"
				+ " its end record) or damaged");
	}
}
