package hapibulk.storage;

import hapibulk.support.BulkErrors;

import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Encrypts the files of another store at rest with AES-256-GCM (the JDK's {@code javax.crypto}). A GCM
 * stream cannot be appended to, and a restarted chunk appends to a file written before the crash, so
 * a file is a series of sealed records, each with its own random nonce:
 * {@code [plaintext length: 4 bytes][nonce: 12 bytes][ciphertext + 16-byte tag]}, at most
 * {@value #RECORD_BYTES} bytes of plaintext each. A commit seals what was appended since the last one.
 * Each record's associated data names its job, file and plaintext offset, so records cannot be moved
 * between files or places unnoticed.
 * <p>
 * Lengths and offsets seen through this store are those of the plaintext (what a client downloads,
 * what the manifest counts and hashes); the committed length a writer restarts from is mapped to the
 * record boundary on disk by walking the record headers.
 */
public class EncryptedFileStore extends ForwardingFileStore {

	static final int RECORD_BYTES = 1 << 20;
	private static final int LENGTH_BYTES = 4;
	private static final int NONCE_BYTES = 12;
	private static final int TAG_BYTES = 16;
	private static final int OVERHEAD = LENGTH_BYTES + NONCE_BYTES + TAG_BYTES;
	private static final String TRANSFORMATION = "AES/GCM/NoPadding";

	private final BulkFileStore stored;
	private final SecretKey key;
	private final SecureRandom random = new SecureRandom();

	public EncryptedFileStore(BulkFileStore stored, SecretKey key) {
		this.stored = stored;
		this.key = key;
	}

	/** The key of {@code hapi.bulk.storage.encryption-key}: base64 of 32 bytes. */
	@Override
	protected BulkFileStore delegate() {
		return stored;
	}

	public static SecretKey key(String base64) {
		byte[] bytes;
		try {
			bytes = Base64.getDecoder().decode(base64.strip());
		} catch (IllegalArgumentException e) {
			bytes = new byte[0];
		}
		if (bytes.length != 32) {
			throw new IllegalStateException(BulkErrors.code(670) + "hapi.bulk.storage.encryption-key must be the"
					+ " base64 of a 256-bit (32-byte) key, e.g. from: openssl rand -base64 32");
		}
		return new SecretKeySpec(bytes, "AES");
	}

	@Override
	public BulkFileAppender openAppender(String jobId, String fileName, long committedLength) throws IOException {
		long storedLength = committedLength == 0 ? 0 : storedOffset(jobId, fileName, committedLength);
		return new SealingAppender(stored.openAppender(jobId, fileName, storedLength), jobId, fileName,
				committedLength);
	}

	@Override
	public Optional<StoredFile> find(String jobId, String fileName) {
		return stored.find(jobId, fileName).map(file -> new StoredFile() {
			@Override
			public long length() {
				try (InputStream in = file.open()) {
					return plaintextLength(in);
				} catch (IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			}

			@Override
			public InputStream open() throws IOException {
				return new OpeningInputStream(file.open(), jobId, fileName);
			}
		});
	}

	/** Where the record that starts at plaintext offset {@code plaintextOffset} starts in the stored file. */
	private long storedOffset(String jobId, String fileName, long plaintextOffset) throws IOException {
		StoredFile file = stored.find(jobId, fileName).orElseThrow(() -> new IOException("Part file " + fileName
				+ " of job " + jobId + " is missing; its committed length is " + plaintextOffset));
		try (DataInputStream in = new DataInputStream(file.open())) {
			long plaintext = 0;
			long position = 0;
			while (plaintext < plaintextOffset) {
				int length = in.readInt();
				in.skipNBytes(NONCE_BYTES + length + TAG_BYTES);
				plaintext += length;
				position += OVERHEAD + length;
			}
			if (plaintext != plaintextOffset) {
				throw new IOException("Part file " + fileName + " of job " + jobId + " has no record boundary at its"
						+ " committed length " + plaintextOffset);
			}
			return position;
		} catch (EOFException e) {
			throw new IOException("Part file " + fileName + " of job " + jobId + " is shorter than its committed"
					+ " length " + plaintextOffset, e);
		}
	}

	private static long plaintextLength(InputStream stream) throws IOException {
		DataInputStream in = new DataInputStream(stream);
		long plaintext = 0;
		while (true) {
			int length;
			try {
				length = in.readInt();
			} catch (EOFException end) {
				return plaintext;
			}
			in.skipNBytes(NONCE_BYTES + length + TAG_BYTES);
			plaintext += length;
		}
	}

	private static byte[] associatedData(String jobId, String fileName, long plaintextOffset) {
		return (jobId + "/" + fileName + "@" + plaintextOffset).getBytes(StandardCharsets.UTF_8);
	}

	private Cipher cipher(int mode, byte[] nonce, String jobId, String fileName, long plaintextOffset)
			throws IOException {
		try {
			Cipher cipher = Cipher.getInstance(TRANSFORMATION);
			cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
			cipher.updateAAD(associatedData(jobId, fileName, plaintextOffset));
			return cipher;
		} catch (GeneralSecurityException e) {
			throw new IOException("AES-GCM is not available", e);
		}
	}

	/** Collects plaintext and stores it sealed: a record whenever {@value #RECORD_BYTES} are buffered, and at commit. */
	private final class SealingAppender implements BulkFileAppender {
		private final BulkFileAppender out;
		private final String jobId;
		private final String fileName;
		private final byte[] plaintext = new byte[RECORD_BYTES];
		private int buffered;
		/** The plaintext offset of the first buffered byte. */
		private long offset;

		private SealingAppender(BulkFileAppender out, String jobId, String fileName, long offset) {
			this.out = out;
			this.jobId = jobId;
			this.fileName = fileName;
			this.offset = offset;
		}

		@Override
		public void append(byte[] bytes, int from, int length) throws IOException {
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
			out.commit();
			return offset;
		}

		@Override
		public void close() throws IOException {
			out.close();
		}

		private void seal() throws IOException {
			byte[] nonce = new byte[NONCE_BYTES];
			random.nextBytes(nonce);
			Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, jobId, fileName, offset);
			ByteBuffer record = ByteBuffer.allocate(OVERHEAD + buffered);
			record.putInt(buffered).put(nonce);
			try {
				cipher.doFinal(ByteBuffer.wrap(plaintext, 0, buffered), record);
			} catch (GeneralSecurityException e) {
				throw new IOException("Cannot encrypt a record of " + fileName, e);
			}
			out.append(record.array(), 0, record.position());
			offset += buffered;
			buffered = 0;
		}
	}

	/** Opens the records one by one as the reader reaches them; a record that does not authenticate fails the read. */
	private final class OpeningInputStream extends InputStream {
		private final DataInputStream in;
		private final String jobId;
		private final String fileName;
		private byte[] record = new byte[0];
		private int position;
		private long offset;

		private OpeningInputStream(InputStream in, String jobId, String fileName) {
			this.in = new DataInputStream(in);
			this.jobId = jobId;
			this.fileName = fileName;
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
			int length;
			try {
				length = in.readInt();
			} catch (EOFException end) {
				return false;
			}
			if (length < 0 || length > RECORD_BYTES) {
				throw new IOException("File " + fileName + " of job " + jobId + " is not an encrypted bulk file");
			}
			byte[] nonce = in.readNBytes(NONCE_BYTES);
			byte[] sealed = in.readNBytes(length + TAG_BYTES);
			if (nonce.length != NONCE_BYTES || sealed.length != length + TAG_BYTES) {
				throw new IOException("File " + fileName + " of job " + jobId + " ends inside a record");
			}
			try {
				record = cipher(Cipher.DECRYPT_MODE, nonce, jobId, fileName, offset).doFinal(sealed);
			} catch (GeneralSecurityException e) {
				throw new IOException(BulkErrors.code(674) + "File " + fileName + " of job " + jobId
						+ " does not decrypt with the configured hapi.bulk.storage.encryption-key", e);
			}
			position = 0;
			offset += length;
			return true;
		}

		@Override
		public void close() throws IOException {
			in.close();
		}
	}
}
