package hapibulk.job;

import hapibulk.job.BulkJobFiles.Kind;
import hapibulk.job.BulkManifest.ManifestFile;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Partial manifest pages over the real table (H2): handed-out pages never change, later files go to later pages. */
class BulkJobFilesTest {

	private BulkJobFiles files;

	@BeforeEach
	void database() {
		JdbcDataSource dataSource = new JdbcDataSource();
		dataSource.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		new BulkSchemaInitializer(dataSource);
		files = new BulkJobFiles(new JdbcTemplate(dataSource));
	}

	@Test
	void pagesHandedOut_neverChange_andLinkOnUntilTheLastFilesOfAFinishedJob() {
		files.register("job", Kind.OUTPUT, file("Patient", "Patient-1.ndjson"));
		files.register("job", Kind.OUTPUT, file("Encounter", "Encounter-1.ndjson"));

		BulkJobFiles.Page first = files.page("job", 1, false).orElseThrow();
		assertThat(first.output()).extracting(ManifestFile::file)
				.containsExactlyInAnyOrder("Patient-1.ndjson", "Encounter-1.ndjson");
		assertThat(first.hasNext()).isTrue();

		files.register("job", Kind.OUTPUT, file("Encounter", "Encounter-2.ndjson"));
		files.register("job", Kind.OUTPUT, file("Encounter", "Encounter-2.ndjson")); // a redone chunk
		assertThat(files.isHandedOut("job", "Encounter-1.ndjson")).isTrue();
		assertThat(files.isHandedOut("job", "Encounter-2.ndjson")).as("finished, on no page yet").isFalse();
		assertThat(files.page("job", 1, false).orElseThrow()).isEqualTo(first);
		assertThat(files.page("job", 3, false)).as("page 2 was not handed out yet").isEmpty();

		BulkJobFiles.Page second = files.page("job", 2, false).orElseThrow();
		assertThat(second.output()).extracting(ManifestFile::file).containsExactly("Encounter-2.ndjson");

		BulkJobFiles.Page third = files.page("job", 3, false).orElseThrow();
		assertThat(third.isEmpty()).as("nothing new finished yet").isTrue();
		assertThat(third.hasNext()).isTrue();

		// The job finishes: its last files go to the next page asked for, which has no link.
		files.register("job", Kind.DELETED, file("Bundle", "deleted-1.ndjson"));
		files.register("job", Kind.ERROR, file("OperationOutcome", "errors-1.ndjson"));
		BulkJobFiles.Page last = files.page("job", 3, true).orElseThrow();
		assertThat(last.deleted()).extracting(ManifestFile::file).containsExactly("deleted-1.ndjson");
		assertThat(last.error()).extracting(ManifestFile::file).containsExactly("errors-1.ndjson");
		assertThat(last.hasNext()).isFalse();
		assertThat(files.page("job", 3, true).orElseThrow()).isEqualTo(last);
		assertThat(files.page("job", 1, true).orElseThrow()).as("still linked on").isEqualTo(first);
		assertThat(files.page("job", 2, true).orElseThrow()).isEqualTo(second);
	}

	@Test
	void aJobThatFinishedBeforeAnyPoll_hasOnePage_withoutLink() {
		files.register("job", Kind.OUTPUT, file("Patient", "Patient-1.ndjson"));

		BulkJobFiles.Page only = files.page("job", 1, true).orElseThrow();

		assertThat(only.output()).hasSize(1);
		assertThat(only.hasNext()).isFalse();
		assertThat(files.page("job", 2, true)).isEmpty();
	}

	@Test
	void forget_dropsTheJobsFiles_only() {
		files.register("job", Kind.OUTPUT, file("Patient", "Patient-1.ndjson"));
		files.register("other", Kind.OUTPUT, file("Patient", "Patient-1.ndjson"));

		files.forget("job");

		assertThat(files.page("job", 1, true).orElseThrow().isEmpty()).isTrue();
		assertThat(files.page("other", 1, true).orElseThrow().output()).hasSize(1);
	}

	private static ManifestFile file(String type, String name) {
		return new ManifestFile(type, name, 3, 300, "ab".repeat(32), null, null);
	}
}
