package hapibulk.storage;

import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The store contract on plain local files. */
class LocalFileStoreContractTest extends BulkFileStoreContract {

	@TempDir
	Path directory;

	@Override
	BulkFileStore store() {
		return new LocalFileStore(directory);
	}

	@Override
	List<String> storedUnder(String folder) throws IOException {
		return filesUnder(directory, folder);
	}

	/** The files under {@code folder} of a local store's root, relative to that root. */
	static List<String> filesUnder(Path directory, String folder) throws IOException {
		Path under = directory.resolve(folder);
		if (!Files.exists(under)) {
			return List.of();
		}
		try (Stream<Path> files = Files.walk(under)) {
			return files.filter(Files::isRegularFile).map(file -> directory.relativize(file).toString()).sorted().toList();
		}
	}
}
