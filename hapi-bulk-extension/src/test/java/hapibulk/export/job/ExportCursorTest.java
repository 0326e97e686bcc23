package hapibulk.export.job;

import hapibulk.job.BulkManifest.ManifestFile;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExportCursorTest {

	@Test
	void survivesTheExecutionContext_andListsEveryNonEmptyPart() {
		ExportCursor cursor = ExportCursor.start("job1", "Patient", 1234L)
				.withPart(10, 100).nextPart()
				.withPart(5, 60).nextPart()
				.withPart(2, 30)
				.afterPid(99);

		ExportCursor restored = ExportCursor.from(cursor.toContext());

		assertThat(restored).isEqualTo(cursor);
		assertThat(restored.files()).containsExactly(
				new ManifestFile("Patient", "Patient-1.ndjson", 10, 100),
				new ManifestFile("Patient", "Patient-2.ndjson", 5, 60),
				new ManifestFile("Patient", "Patient-3.ndjson", 2, 30));
	}

	@Test
	void aPartitionWithoutResources_hasNoFiles_andNoSince() {
		ExportCursor cursor = ExportCursor.from(ExportCursor.start("job1", "Medication", null).toContext());

		assertThat(cursor.since()).isNull();
		assertThat(cursor.files()).isEmpty();
	}
}
