package hapibulk.storage;

import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code hapi.bulk.storage.*}: room the bulk files may take.
 *
 * @param minFreeSpace      a kick-off is refused (503) while the file directory has less free space than this
 * @param maxBytesPerClient the most one client's jobs may hold in files; a kick-off beyond it is refused
 *                          (429) until the client deletes jobs or they expire. 0: no limit
 */
public record StorageSettings(
		@DefaultValue("64MB") DataSize minFreeSpace,
		@DefaultValue("0") DataSize maxBytesPerClient) {

	public static StorageSettings defaults() {
		return new StorageSettings(DataSize.ofMegabytes(64), DataSize.ofBytes(0));
	}
}
