package hapibulk.export.job;

import hapibulk.job.BulkManifest.ManifestFile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ExportCursorTest {

	@Test
	void survivesTheExecutionContext_andListsEveryNonEmptyPart_withBlockContinuations() {
		ExportCursor cursor = ExportCursor.start("job1", filter("Patient"))
				.withPart(10, 100).nextPart(false)
				.withPart(5, 60).nextPart(true)
				.withPart(2, 30)
				.afterPid(99);

		ExportCursor restored = ExportCursor.from(cursor.toContext());

		assertThat(restored).isEqualTo(cursor);
		assertThat(restored.files("Patient")).containsExactly(
				new ManifestFile("Patient", "Patient-1.ndjson", 10, 100, null, null, null),
				new ManifestFile("Patient", "Patient-2.ndjson", 5, 60, null, "Patient-3.ndjson", null),
				new ManifestFile("Patient", "Patient-3.ndjson", 2, 30, null, null, null));
	}

	@Test
	void aPartitionWithoutResources_hasNoFiles() {
		ExportCursor cursor = ExportCursor.from(ExportCursor.start("job1", filter("Medication")).toContext());

		assertThat(cursor.filter()).isEqualTo(filter("Medication"));
		assertThat(cursor.files("Medication")).isEmpty();
	}

	@Test
	void theDeletedPartition_namesItsFilesApart() {
		ExportFilter deleted = new ExportFilter("Bundle", true, List.of("Patient"), 1L, null, false, null, null, null, null, null, false, false);

		ExportCursor cursor = ExportCursor.start("job1", deleted).withPart(3, 30);

		assertThat(ExportCursor.from(cursor.toContext()).files("Bundle"))
				.containsExactly(new ManifestFile("Bundle", "deleted-1.ndjson", 3, 30, null, null, null));
	}

	@Test
	void aChunkFinishes_thePartsItClosed_andWhenThePartitionEnds_itsLastOne() {
		ExportCursor before = ExportCursor.start("job1", filter("Patient")).withPart(10, 100);
		ExportCursor after = before.nextPart(false).withPart(5, 60).nextPart(false).withPart(2, 30);

		assertThat(after.finishedSince(before, false, "Patient")).extracting(ManifestFile::file)
				.containsExactly("Patient-1.ndjson", "Patient-2.ndjson");
		assertThat(after.finishedSince(before, true, "Patient")).extracting(ManifestFile::file)
				.containsExactly("Patient-1.ndjson", "Patient-2.ndjson", "Patient-3.ndjson");
		assertThat(after.finishedSince(after, false, "Patient")).isEmpty();
		assertThat(after.finishedSince(after, true, "Patient")).extracting(ManifestFile::file)
				.containsExactly("Patient-3.ndjson");
	}

	private static ExportFilter filter(String type) {
		return new ExportFilter(type, false, List.of(), 1234L, null, true, List.of(type + ".subject"), 7L, List.of(1L, 2L),
				List.of("id", "meta", "status"), "job1", false, false);
	}
}
