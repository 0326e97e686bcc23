package hapibulk.storage;

import hapibulk.support.BulkErrors;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.List;

import static hapibulk.storage.EncryptedRecords.END_MARKER;
import static hapibulk.storage.EncryptedRecords.NONCE_BYTES;
import static hapibulk.storage.EncryptedRecords.RECORD_BYTES;
import static hapibulk.storage.EncryptedRecords.TAG_BYTES;

/**
 * Opens an encrypted file's records one by one as the reader reaches them. The read fails (never ends short) when
 * a record does not authenticate (BULK-0674), when the file names a key this server lacks (BULK-0677), or when the
 * file ends without its end record (BULK-0676: cut at a record boundary). Files of the first layout (no header, no
 * end record) are read with whichever configured key opens their first record.
 */
final class OpeningInputStream extends InputStream {

	private final DataInputStream in;
	private final EncryptionKeys keys;
	private final String jobId;
	private final String fileName;
	private final String what;
	private EncryptedRecords.Header header;
	private EncryptionKeys.Key key;
	private byte[] record = new byte[0];
	private int position;
	private long offset;
	private boolean ended;

	OpeningInputStream(InputStream in, EncryptionKeys keys, String jobId, String fileName) {
		this.in = new DataInputStream(new BufferedInputStream(in, 1 << 16));
		this.keys = keys;
		this.jobId = jobId;
		this.fileName = fileName;
		this.what = "File " + fileName + " of job " + jobId;
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
	}

	@Override
	public int read(byte[] bytes, int from, int length) throws IOException {
		if (length == 0) {
			return 0;
		}
		if (position == record.length && !nextRecord()) {
			return -1;
		}
		int taken = Math.min(length, record.length - position);
		System.arraycopy(record, position, bytes, from, taken);
		position += taken;
		return taken;
	}

	private boolean nextRecord() throws IOException {
		if (ended) {
			return false;
		}
		if (header == null) {
			header = EncryptedRecords.readHeader(in, what);
			if (!header.legacy()) {
				key = keys.find(header.keyId()).orElseThrow(() -> EncryptedRecords.unknownKey(what, header.keyId()));
			}
		}
		Integer length = EncryptedRecords.readLength(in);
		if (length == null) {
			if (header.legacy()) {
				ended = true;
				return false;
			}
			throw EncryptedRecords.truncated(what, "ends after " + offset + " bytes without its end record");
		}
		if (length == END_MARKER && !header.legacy()) {
			readEnd();
			return false;
		}
		if (length <= 0 || length > RECORD_BYTES) {
			throw new IOException(what + " is not an encrypted bulk file (a record of length " + length + ")");
		}
		byte[] nonce = in.readNBytes(NONCE_BYTES);
		byte[] sealed = in.readNBytes(length + TAG_BYTES);
		if (nonce.length != NONCE_BYTES || sealed.length != length + TAG_BYTES) {
			throw EncryptedRecords.truncated(what, "ends inside a record");
		}
		byte[] associatedData = EncryptedRecords.associatedData(header, jobId, fileName, offset);
		record = key != null ? open(key, nonce, sealed, associatedData) : openWithAnyKey(nonce, sealed, associatedData);
		position = 0;
		offset += length;
		return true;
	}

	/** The end record: it must authenticate, name the length read so far, and be the last bytes of the file. */
	private void readEnd() throws IOException {
		byte[] nonce = in.readNBytes(NONCE_BYTES);
		byte[] sealed = in.readNBytes(8 + TAG_BYTES);
		if (nonce.length != NONCE_BYTES || sealed.length != 8 + TAG_BYTES) {
			throw EncryptedRecords.truncated(what, "ends inside its end record");
		}
		long length = ByteBuffer.wrap(open(key, nonce, sealed,
				EncryptedRecords.endAssociatedData(header, jobId, fileName, offset))).getLong();
		if (length != offset || in.read() >= 0) {
			throw EncryptedRecords.truncated(what, "has bytes after its end record");
		}
		ended = true;
	}

	/** A file of the first layout: the first key that opens its first record opens them all. */
	private byte[] openWithAnyKey(byte[] nonce, byte[] sealed, byte[] associatedData) throws IOException {
		List<EncryptionKeys.Key> candidates = keys.all();
		for (EncryptionKeys.Key candidate : candidates) {
			try {
				Cipher cipher = EncryptedRecords.cipher(Cipher.DECRYPT_MODE, candidate, nonce, associatedData);
				byte[] plaintext = cipher.doFinal(sealed);
				key = candidate;
				return plaintext;
			} catch (AEADBadTagException wrongKey) {
				// try the next one
			} catch (GeneralSecurityException e) {
				throw notDecrypting(e);
			}
		}
		throw notDecrypting(null);
	}

	private byte[] open(EncryptionKeys.Key with, byte[] nonce, byte[] sealed, byte[] associatedData) throws IOException {
		try {
			return EncryptedRecords.cipher(Cipher.DECRYPT_MODE, with, nonce, associatedData).doFinal(sealed);
		} catch (GeneralSecurityException e) {
			throw notDecrypting(e);
		}
	}

	private IOException notDecrypting(Exception cause) {
		return new IOException(BulkErrors.code(674) + what + " does not decrypt with the configured"
				+ " hapi.bulk.storage.encryption-key (or encryption-old-keys)", cause);
	}

	@Override
	public void close() throws IOException {
		in.close();
	}
}
