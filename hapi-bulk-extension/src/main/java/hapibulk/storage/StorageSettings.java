package hapibulk.storage;

import hapibulk.storage.s3.S3Settings;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.util.List;

/**
 * hapi.bulk.storage.*: where bulk files live and the room they may take.
 *
 * @param type              local (files under hapi.bulk.file-directory) or s3 (objects in
 *                          a bucket, hapi.bulk.storage.s3.*)
 * @param encryptionKey     base64 of a 256-bit AES key: local files are encrypted at rest with it (AES-256-GCM).
 *                          Unset: stored as written. Not for s3, which encrypts on the server (s3.sse)
 * @param encryptionOldKeys earlier encryption keys (base64 of 256 bits each): files written with them (each file
 *                          names its key) are still read; new files are written with encryptionKey
 * @param s3                the bucket and its client (S3Settings)
 * @param minFreeSpace      a kick-off is refused (503) while the file directory has less free space than this
 * @param maxBytesPerClient the most one client's jobs may hold in files; a kick-off beyond it is refused
 *                          (429) until the client deletes jobs or they expire. 0: no limit
 */
public record StorageSettings(
		@DefaultValue("local") StorageType type,
		String encryptionKey,
		List<String> encryptionOldKeys,
		@DefaultValue @NestedConfigurationProperty S3Settings s3,
		@DefaultValue("64MB") DataSize minFreeSpace,
		@DefaultValue("0") DataSize maxBytesPerClient) {

	public StorageSettings {
		encryptionOldKeys = encryptionOldKeys == null ? List.of() : List.copyOf(encryptionOldKeys);
	}

	/** The back ends {@link BulkFileStores} can make. */
	public enum StorageType { LOCAL, S3 }

	public static StorageSettings defaults() {
		return new StorageSettings(StorageType.LOCAL, null, List.of(), S3Settings.defaults(), DataSize.ofMegabytes(64),
				DataSize.ofBytes(0));
	}
}
