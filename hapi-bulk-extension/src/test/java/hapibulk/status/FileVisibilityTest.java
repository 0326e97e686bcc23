package hapibulk.status;

import hapibulk.auth.AccessGrant;
import hapibulk.auth.ScopeSet;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.job.BulkManifest;
import hapibulk.job.ListedFile;
import hapibulk.job.StatusOptions;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What of its own export a token may see after its client's scopes narrowed. */
class FileVisibilityTest {

	static final Set<String> TYPES = Set.of("Patient", "Observation", "Condition", "OperationOutcome", "Bundle");

	@Test
	void outputFiles_needReadOnTheirType_errorsAlwaysVisible() throws Exception {
		// given: an export of Patient and Observation; the token now reads Observation only
		FileVisibility visibility = new FileVisibility(grant("system/Observation.read"), export("[\"Observation\",\"Patient\"]"));

		// when
		BulkManifest filtered = visibility.filter(manifest());

		// then
		assertThat(filtered.output()).extracting(ManifestFile::type).containsExactly("Observation");
		assertThat(filtered.deleted()).as("deletions of Patient and Observation").isEmpty();
		assertThat(filtered.error()).hasSize(1);
		assertThat(visibility.visible(new ListedFile(BulkJobFiles.Kind.OUTPUT, "Patient"))).isFalse();
		assertThat(visibility.visible(new ListedFile(BulkJobFiles.Kind.OUTPUT, null))).as("blocks").isFalse();
	}

	@Test
	void everything_isVisible_toATokenThatReadsEveryTypeOfTheJob() throws Exception {
		// given
		FileVisibility visibility = new FileVisibility(grant("system/Patient.rs system/Observation.rs"),
				export("[\"Observation\",\"Patient\"]"));

		// when / then
		assertThat(visibility.filter(manifest()).files()).hasSize(4);
		assertThat(new FileVisibility(grant("system/Patient.rs system/Observation.rs"), export("[]"))
				.visible(new ListedFile(BulkJobFiles.Kind.DELETED, "Bundle")))
				.as("an export of every type needs every type").isFalse();
	}

	private static BulkManifest manifest() {
		return new BulkManifest(Instant.now(), "r", true,
				List.of(new ManifestFile("Patient", "Patient-1.ndjson", 1, 10, null),
						new ManifestFile("Observation", "Observation-1.ndjson", 1, 10, null)),
				List.of(new ManifestFile("Bundle", "deleted-1.ndjson", 1, 10, null)),
				List.of(new ManifestFile("OperationOutcome", "errors-1.ndjson", 1, 10, null)), null);
	}

	private static AccessGrant grant(String scopes) throws Exception {
		return new AccessGrant("c1", ScopeSet.parse(scopes, TYPES), null, Instant.now().plusSeconds(60));
	}

	private static BulkJob export(String types) {
		return new BulkJob("j1", BulkJobKind.EXPORT, BulkJobState.COMPLETED, "c1", "r", "{\"types\":" + types + "}",
				Instant.now(), Instant.now(), Instant.now(), 1L, 0, 0, null, null, new StatusOptions(false, false, null));
	}
}
