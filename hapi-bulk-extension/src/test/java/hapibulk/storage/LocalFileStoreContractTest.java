package hapibulk.storage;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The store contract on plain local files. */
class LocalFileStoreContractTest extends BulkFileStoreContract {

	@TempDir
	Path directory;

	@Override
	BulkFileStore store() {
		return new LocalFileStore(directory);
	}
}
