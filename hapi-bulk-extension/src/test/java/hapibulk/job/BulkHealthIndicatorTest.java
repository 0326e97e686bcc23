package hapibulk.job;

import hapibulk.config.BulkConfiguration;
import hapibulk.storage.LocalFileStore;
import hapibulk.storage.StorageSettings;
import hapibulk.storage.s3.S3Settings;
import hapibulk.testsupport.TestHapiServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code hapiBulk} health component over the real engine, job table and file store: UP while jobs can run,
 * DOWN when the file store cannot be written, when free space is under the minimum, or when the engine stopped.
 */
class BulkHealthIndicatorTest {

	@TempDir
	Path dir;

	@Test
	void health_isUpOnARunningServer_andDownForEachThingAJobNeedsThatIsMissing() {
		new ApplicationContextRunner()
				.withAllowCircularReferences(true)
				.withUserConfiguration(TestHapiServerConfig.class, BulkConfiguration.class)
				.withPropertyValues("hapi.bulk.file-directory=" + dir.resolve("files"), "hapi.bulk.auth.mode=none",
						"hapi.bulk.audit.store-events=false")
				.run(context -> {
					assertThat(context).hasNotFailed().hasSingleBean(BulkHealthIndicator.class);
					BulkBatchEngine engine = context.getBean(BulkBatchEngine.class);
					BulkJobTable table = context.getBean(BulkJobTable.class);

					// when: the server as configured
					Health up = context.getBean(BulkHealthIndicator.class).health();
					// then: up, with figures only, and the probe file is gone
					assertThat(up.getStatus()).as(up.toString()).isEqualTo(Status.UP);
					assertThat(up.getDetails()).containsEntry("jobEngine", "running").containsEntry("database", "reachable")
							.containsEntry("fileStore", "writable").containsKeys("freeSpaceBytes", "minFreeSpaceBytes");
					assertThat(up.getDetails().values()).noneMatch(value -> value.toString().contains(dir.toString()));
					try (var left = Files.list(dir.resolve("files"))) {
						assertThat(left).isEmpty();
					}

					// given: a file store whose directory became a plain file
					Path gone = dir.resolve("gone");
					LocalFileStore broken = new LocalFileStore(gone);
					Files.delete(gone);
					Files.writeString(gone, "not a directory");
					// when
					Health unwritable = new BulkHealthIndicator(engine, table, broken, StorageSettings.defaults()).health();
					// then
					assertThat(unwritable.getStatus()).isEqualTo(Status.DOWN);
					assertThat(unwritable.getDetails()).containsEntry("fileStore", "not writable");

					// given: a minimum free space above what the disk has
					LocalFileStore store = new LocalFileStore(dir.resolve("other"));
					long free = store.usableSpace().orElseThrow();
					StorageSettings demanding = new StorageSettings(StorageSettings.StorageType.LOCAL, null,
							java.util.List.of(), S3Settings.defaults(), DataSize.ofBytes(free + DataSize.ofGigabytes(1024).toBytes()), DataSize.ofBytes(0));
					// when
					Health full = new BulkHealthIndicator(engine, table, store, demanding).health();
					// then
					assertThat(full.getStatus()).isEqualTo(Status.DOWN);
					assertThat(full.getDetails()).containsEntry("fileStore", "writable");
					assertThat((Long) full.getDetails().get("freeSpaceBytes"))
							.isLessThan((Long) full.getDetails().get("minFreeSpaceBytes"));

					// when: the engine has shut down (as on context close)
					engine.destroy();
					Health stopped = context.getBean(BulkHealthIndicator.class).health();
					// then
					assertThat(stopped.getStatus()).isEqualTo(Status.DOWN);
					assertThat(stopped.getDetails()).containsEntry("jobEngine", "stopped");
				});
	}
}
