package hapibulk.storage;

import hapibulk.support.BulkErrors;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Passes a stored file through while computing its SHA-256, and holds its last byte back until the end of the
 * file shows the digest matches the one expected (the manifest's): on a mismatch the read fails (BULK-0680)
 * before that byte is given, so a reader sending the bytes on (a download) never sends the whole file.
 */
public final class DigestCheckedInputStream extends FilterInputStream {

	/** The file read does not match the digest expected. */
	public static final class Mismatch extends IOException {
		Mismatch(String message) {
			super(message);
		}
	}

	private final MessageDigest digest;
	private final String expected;
	private final String what;
	/** A byte read ahead and not given yet (-1: none). */
	private int held = -1;
	private boolean finished;

	/** @param expectedSha256 hex */
	public DigestCheckedInputStream(InputStream in, String expectedSha256, String what) {
		super(in);
		try {
			this.digest = MessageDigest.getInstance("SHA-256");
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
		this.expected = expectedSha256;
		this.what = what;
	}

	@Override
	public int read() throws IOException {
		byte[] one = new byte[1];
		return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
	}

	@Override
	public int read(byte[] bytes, int offset, int length) throws IOException {
		if (length == 0) {
			return 0;
		}
		if (finished) {
			return -1;
		}
		if (held < 0) {
			int first = in.read();
			if (first < 0) {
				return end();
			}
			digest.update((byte) first);
			held = first;
		}
		bytes[offset] = (byte) held;
		if (length == 1) {
			int next = in.read();
			if (next < 0) {
				end();
				return 1;
			}
			digest.update((byte) next);
			held = next;
			return 1;
		}
		int read;
		do {
			read = in.read(bytes, offset + 1, length - 1);
		} while (read == 0);
		if (read < 0) {
			end();
			return 1;
		}
		digest.update(bytes, offset + 1, read);
		// give the held byte and all read but the last, which is held in its turn
		held = bytes[offset + read] & 0xff;
		return read;
	}

	/** At the end of the file: fails unless the digest matches; the held byte (if any) may then go. */
	private int end() throws IOException {
		String actual = HexFormat.of().formatHex(digest.digest());
		if (!actual.equalsIgnoreCase(expected)) {
			throw new Mismatch(BulkErrors.code(680) + what + " does not match the SHA-256 its manifest gives ("
					+ expected + "; the stored file's is " + actual + "): it was changed or damaged in the store");
		}
		finished = true;
		held = -1;
		return -1;
	}

	@Override
	public long skip(long n) throws IOException {
		throw new IOException("A checked file is read from its start to its end");
	}

	@Override
	public int available() {
		return 0;
	}

	@Override
	public boolean markSupported() {
		return false;
	}
}
