package hapibulk.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The SHA-256 that manifests give for each file, so a client can check what it downloaded: the digest the
 * store computed while the file was written ({@link DigestingFileStore}), or else the file read back.
 */
public final class FileDigests {

	private FileDigests() {}

	/**
	 * @param expectedBytes the length the writer committed; a file of another length is an error,
	 *                      never a checksum of the wrong content
	 */
	public static String sha256(BulkFileStore fileStore, JobFolder job, String fileName, long expectedBytes)
			throws IOException {
		Optional<String> watched = fileStore.sha256(job, fileName, expectedBytes);
		if (watched.isPresent()) {
			return watched.get();
		}
		BulkFileStore.StoredFile stored = fileStore.find(job, fileName)
				.orElseThrow(() -> new IllegalStateException("File " + fileName + " of " + job + " is missing"));
		if (stored.length() != expectedBytes) {
			throw new IllegalStateException("File " + fileName + " of " + job + " has " + stored.length()
					+ " bytes, its writer committed " + expectedBytes);
		}
		try (InputStream in = stored.open();
				DigestOutputStream digest = new DigestOutputStream(OutputStream.nullOutputStream(),
						MessageDigest.getInstance("SHA-256"))) {
			in.transferTo(digest);
			return HexFormat.of().formatHex(digest.getMessageDigest().digest());
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}
}
