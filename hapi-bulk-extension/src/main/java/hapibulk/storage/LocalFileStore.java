package hapibulk.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

import static hapibulk.storage.StoredNames.isSafe;
import static hapibulk.storage.StoredNames.requireSafe;

/**
 * Bulk files on the local file system: {@code <directory>/<jobId>/<fileName>}, or
 * {@code <directory>/tenants/<tenant folder>/<jobId>/<fileName>} for a job of a tenant ({@link JobFolder}), each file
 * and directory created readable by the server's user only ({@link OwnerOnlyFiles}).
 */
public class LocalFileStore implements BulkFileStore {

	private static final int BUFFER_BYTES = 1 << 20;

	private final Path directory;

	public LocalFileStore(Path directory) {
		this.directory = directory.toAbsolutePath().normalize();
		try {
			OwnerOnlyFiles.createDirectories(this.directory);
		} catch (IOException e) {
			throw new UncheckedIOException("Cannot create the bulk file directory " + this.directory, e);
		}
	}

	@Override
	public BulkFileAppender openAppender(JobFolder job, String fileName, long committedLength) throws IOException {
		Path file = resolve(job, fileName);
		OwnerOnlyFiles.createDirectories(file.getParent());
		FileChannel channel = OwnerOnlyFiles.openForWriting(file);
		try {
			if (channel.size() < committedLength) {
				throw new IOException("Part file " + file + " is shorter (" + channel.size()
						+ " bytes) than its committed length " + committedLength);
			}
			channel.truncate(committedLength);
			channel.position(committedLength);
		} catch (IOException e) {
			channel.close();
			throw e;
		}
		return new ChannelAppender(channel);
	}

	@Override
	public Optional<StoredFile> find(JobFolder job, String fileName) {
		if (job == null || !isSafe(fileName)) {
			return Optional.empty();
		}
		Path file = resolve(job, fileName);
		if (!Files.isRegularFile(file)) {
			return Optional.empty();
		}
		return Optional.of(new StoredFile() {
			@Override
			public long length() {
				try {
					return Files.size(file);
				} catch (IOException e) {
					throw new UncheckedIOException(e);
				}
			}

			@Override
			public InputStream open() throws IOException {
				return Files.newInputStream(file);
			}
		});
	}

	@Override
	public void deleteAll(JobFolder job) throws IOException {
		Path jobDirectory = directoryOf(job);
		if (!Files.exists(jobDirectory)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(jobDirectory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
	}

	@Override
	public long bytesHeld(JobFolder job) throws IOException {
		Path jobDirectory = directoryOf(job);
		if (!Files.exists(jobDirectory)) {
			return 0;
		}
		try (Stream<Path> paths = Files.walk(jobDirectory)) {
			long total = 0;
			for (Path path : paths.filter(Files::isRegularFile).toList()) {
				total += Files.size(path);
			}
			return total;
		}
	}

	@Override
	public OptionalLong totalBytesHeld() {
		try (Stream<Path> paths = Files.walk(directory)) {
			long total = 0;
			for (Path path : paths.filter(Files::isRegularFile).toList()) {
				total += sizeOrZero(path);
			}
			return OptionalLong.of(total);
		} catch (IOException | UncheckedIOException e) {
			return OptionalLong.empty();
		}
	}

	/** A file deleted while the directory is walked (an expired job) counts for nothing. */
	private static long sizeOrZero(Path file) {
		try {
			return Files.size(file);
		} catch (IOException e) {
			return 0;
		}
	}

	@Override
	public OptionalLong usableSpace() {
		try {
			return OptionalLong.of(Files.getFileStore(directory).getUsableSpace());
		} catch (IOException e) {
			return OptionalLong.empty();
		}
	}

	private Path resolve(JobFolder job, String fileName) {
		return directoryOf(job).resolve(requireSafe(fileName));
	}

	/** The job's directory; its segments are checked safe by {@link JobFolder}, so it never leaves the root. */
	private Path directoryOf(JobFolder job) {
		Path jobDirectory = directory.resolve(job.path()).normalize();
		if (!jobDirectory.startsWith(directory) || jobDirectory.equals(directory)) {
			throw new IllegalArgumentException("Not a safe job folder: " + job.path());
		}
		return jobDirectory;
	}

	private static final class ChannelAppender implements BulkFileAppender {
		private final FileChannel channel;
		private final OutputStream out;

		private ChannelAppender(FileChannel channel) {
			this.channel = channel;
			this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
		}

		@Override
		public void append(byte[] bytes, int offset, int length) throws IOException {
			out.write(bytes, offset, length);
		}

		@Override
		public long commit() throws IOException {
			out.flush();
			channel.force(false);
			return channel.position();
		}

		@Override
		public void close() throws IOException {
			out.close();
		}
	}
}
