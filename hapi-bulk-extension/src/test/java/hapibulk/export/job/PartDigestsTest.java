package hapibulk.export.job;

import hapibulk.storage.JobFolder;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.DigestingFileStore;
import hapibulk.storage.LocalFileStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.batch.core.repository.dao.DefaultExecutionContextSerializer;
import org.springframework.batch.item.ExecutionContext;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PartDigestsTest {

	@TempDir
	Path directory;

	@Test
	void digestsOfFilesTheWriterWroteWhole_travelInThePartitionContext_toTheNodeMakingTheManifest() throws Exception {
		// given: a worker wrote two parts from their start
		DigestingFileStore worker = new DigestingFileStore(new LocalFileStore(directory));
		ManifestFile first = write(worker, "Patient-1.ndjson", 0, "{\"a\":1}\n", "{\"b\":2}\n");
		ManifestFile second = write(worker, "Patient-2.ndjson", 0, "{\"c\":3}\n");
		ExecutionContext partition = new ExecutionContext();

		// when: it finishes them, one chunk after the other
		List<ManifestFile> recorded = PartDigests.record(worker, partition, JobFolder.of("job1"), List.of(first));
		recorded = concat(recorded, PartDigests.record(worker, partition, JobFolder.of("job1"), List.of(second)));

		// then: each with its digest, which the manifest's node finds in the context as the job repository stored
		// it, at that length only
		assertThat(recorded).extracting(ManifestFile::sha256)
				.containsExactly(sha256("{\"a\":1}\n{\"b\":2}\n"), sha256("{\"c\":3}\n"));
		partition = throughTheJobRepository(partition);
		assertThat(PartDigests.recorded(partition, first)).contains(sha256("{\"a\":1}\n{\"b\":2}\n"));
		assertThat(PartDigests.recorded(partition, second)).contains(sha256("{\"c\":3}\n"));
		assertThat(PartDigests.recorded(partition, withBytes(first, first.bytes() + 1))).isEmpty();
		assertThat(PartDigests.recorded(partition, withBytes(first, 1))).isEmpty();
	}

	@Test
	void aFileThisProcessDidNotWriteFromItsStart_recordsNothing() throws Exception {
		// given: a part begun by a node that stopped, finished by another
		ManifestFile begun = write(new DigestingFileStore(new LocalFileStore(directory)), "Patient-1.ndjson", 0,
				"{\"a\":1}\n");
		DigestingFileStore resuming = new DigestingFileStore(new LocalFileStore(directory));
		ManifestFile finished = write(resuming, "Patient-1.ndjson", begun.bytes(), "{\"b\":2}\n");
		ExecutionContext partition = new ExecutionContext();

		// when
		List<ManifestFile> recorded = PartDigests.record(resuming, partition, JobFolder.of("job1"), List.of(finished));

		// then: no digest: the manifest reads the file back
		assertThat(recorded).extracting(ManifestFile::sha256).containsOnlyNulls();
		assertThat(PartDigests.recorded(partition, finished)).isEmpty();
	}

	private static ManifestFile write(BulkFileStore store, String name, long from, String... chunks)
			throws IOException {
		long length = from;
		long lines = 0;
		for (String chunk : chunks) {
			try (BulkFileAppender appender = store.openAppender(JobFolder.of("job1"), name, length)) {
				byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
				appender.append(bytes, 0, bytes.length);
				length = appender.commit();
				lines++;
			}
		}
		return new ManifestFile("Patient", name, lines, length, null);
	}

	/** The context as another node reads it: stored by Spring Batch's default serializer and loaded again. */
	private static ExecutionContext throughTheJobRepository(ExecutionContext context) throws IOException {
		DefaultExecutionContextSerializer serializer = new DefaultExecutionContextSerializer();
		ByteArrayOutputStream stored = new ByteArrayOutputStream();
		serializer.serialize(new HashMap<>(context.toMap()), stored);
		return new ExecutionContext(serializer.deserialize(new ByteArrayInputStream(stored.toByteArray())));
	}

	private static ManifestFile withBytes(ManifestFile file, long bytes) {
		return new ManifestFile(file.type(), file.file(), file.count(), bytes, null);
	}

	private static List<ManifestFile> concat(List<ManifestFile> a, List<ManifestFile> b) {
		return Stream.concat(a.stream(), b.stream()).toList();
	}

	private static String sha256(String text) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
	}
}
