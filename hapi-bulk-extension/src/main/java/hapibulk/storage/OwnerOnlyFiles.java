package hapibulk.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates bulk files and their directories readable by the server's own user only (0600 / 0700), whatever the
 * process's umask: the permissions are given at creation, so no other user can open a file in the moment
 * between its creation and a later chmod. The umask can only take bits away; where it took the owner's own
 * (umask 0200, say), they are set back, never widened beyond the owner. On file systems without POSIX
 * permissions (Windows) files are created as the platform does.
 */
final class OwnerOnlyFiles {

	static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
	static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
	private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

	private OwnerOnlyFiles() {}

	/** Creates the missing directories of {@code directory}, each owner-only; existing ones are left alone. */
	static void createDirectories(Path directory) throws IOException {
		if (!POSIX || Files.isDirectory(directory)) {
			Files.createDirectories(directory);
			return;
		}
		Path missing = directory;
		while (missing.getParent() != null && !Files.exists(missing.getParent())) {
			missing = missing.getParent();
		}
		Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(DIRECTORY));
		// createDirectories gives each new directory the attribute; repair any the umask narrowed too far
		for (Path created = directory; created != null && created.startsWith(missing); created = created.getParent()) {
			exactly(created, DIRECTORY);
		}
	}

	/** Opens a file for writing, creating it owner-only if it does not exist. */
	static FileChannel openForWriting(Path file) throws IOException {
		Set<OpenOption> options = Set.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
		if (!POSIX) {
			return FileChannel.open(file, options);
		}
		boolean existed = Files.exists(file);
		FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(FILE);
		FileChannel channel = FileChannel.open(file, options, ownerOnly);
		if (!existed) {
			exactly(file, FILE);
		}
		return channel;
	}

	private static void exactly(Path path, Set<PosixFilePermission> permissions) throws IOException {
		if (!Files.getPosixFilePermissions(path).equals(permissions)) {
			Files.setPosixFilePermissions(path, permissions);
		}
	}
}
