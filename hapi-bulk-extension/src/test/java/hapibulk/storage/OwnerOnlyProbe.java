package hapibulk.storage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Writes one bulk file through {@link LocalFileStore} into the directory given: run in a JVM of another umask. */
public final class OwnerOnlyProbe {

	private OwnerOnlyProbe() {}

	public static void main(String[] args) throws Exception {
		LocalFileStore store = new LocalFileStore(Path.of(args[0]));
		try (BulkFileAppender appender = store.openAppender(JobFolder.of("job-umask"), "Patient-1.ndjson", 0)) {
			byte[] line = "{\"id\":\"p\"}\n".getBytes(StandardCharsets.UTF_8);
			appender.append(line, 0, line.length);
			appender.commit();
		}
	}
}
