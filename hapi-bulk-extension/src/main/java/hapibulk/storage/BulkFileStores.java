package hapibulk.storage;

import hapibulk.storage.s3.S3Clients;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.support.BulkErrors;

import java.nio.file.Path;

/** Makes the store {@code hapi.bulk.storage.type} names (a host may define its own {@link BulkFileStore} bean instead). */
public final class BulkFileStores {

	private BulkFileStores() {}

	/**
	 * @param fileDirectory {@code hapi.bulk.file-directory}, where local files go
	 */
	public static BulkFileStore create(StorageSettings settings, Path fileDirectory) {
		// Outermost, so the digests are of the bytes clients download (the plaintext of encrypted files).
		return new DigestingFileStore(backEnd(settings, fileDirectory));
	}

	private static BulkFileStore backEnd(StorageSettings settings, Path fileDirectory) {
		boolean encrypted = settings.encryptionKey() != null && !settings.encryptionKey().isBlank();
		if (!encrypted && !settings.encryptionOldKeys().isEmpty()) {
			throw new IllegalStateException(BulkErrors.code(678) + "hapi.bulk.storage.encryption-old-keys is set without"
					+ " hapi.bulk.storage.encryption-key: keep a current key (new files are written with it)");
		}
		return switch (settings.type()) {
			case LOCAL -> encrypted
					? new EncryptedFileStore(new LocalFileStore(fileDirectory),
							EncryptionKeys.of(settings.encryptionKey(), settings.encryptionOldKeys()))
					: new LocalFileStore(fileDirectory);
			case S3 -> {
				if (encrypted) {
					throw new IllegalStateException(BulkErrors.code(675) + "hapi.bulk.storage.encryption-key is for local"
							+ " files; objects in S3 are encrypted by the server: set hapi.bulk.storage.s3.sse (s3 or kms)");
				}
				yield new S3FileStore(S3Clients.create(settings.s3()), settings.s3());
			}
		};
	}
}
