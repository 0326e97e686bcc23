package hapibulk.job;

import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.JobFolder;
import hapibulk.storage.StorageSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.OptionalLong;

/**
 * Actuator's {@code /actuator/health} component {@code hapiBulk}: UP when bulk jobs can be kicked off and
 * run here: the job engine's pools are up, the job table answers, a file can be written to the file store
 * and deleted, and the free space is at least {@code hapi.bulk.storage.min-free-space} (below it kick-offs
 * get 503). Details name figures only, never paths, hosts or exception messages (those go to the log).
 */
public class BulkHealthIndicator implements HealthIndicator {

	private static final Logger LOG = LoggerFactory.getLogger(BulkHealthIndicator.class);
	private static final byte[] PROBE = "health\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

	private final BulkBatchEngine engine;
	private final BulkJobTable table;
	private final BulkFileStore fileStore;
	private final StorageSettings storage;
	private final SecureRandom random = new SecureRandom();

	public BulkHealthIndicator(BulkBatchEngine engine, BulkJobTable table, BulkFileStore fileStore,
			StorageSettings storage) {
		this.engine = engine;
		this.table = table;
		this.fileStore = fileStore;
		this.storage = storage;
	}

	@Override
	public Health health() {
		Health.Builder health = Health.up();
		boolean up = true;
		if (!engine.isRunning()) {
			up = false;
			health.withDetail("jobEngine", "stopped");
		} else {
			health.withDetail("jobEngine", "running");
		}
		try {
			health.withDetail("activeJobs", table.findActive().size());
			health.withDetail("database", "reachable");
		} catch (RuntimeException e) {
			LOG.warn("Bulk health: the job table does not answer: {}", e.toString());
			up = false;
			health.withDetail("database", "unreachable");
		}
		if (writable()) {
			health.withDetail("fileStore", "writable");
		} else {
			up = false;
			health.withDetail("fileStore", "not writable");
		}
		long minFree = storage.minFreeSpace().toBytes();
		OptionalLong free = fileStore.usableSpace();
		if (free.isPresent()) {
			health.withDetail("freeSpaceBytes", free.getAsLong()).withDetail("minFreeSpaceBytes", minFree);
			if (free.getAsLong() < minFree) {
				up = false;
			}
		}
		return (up ? health : health.down()).build();
	}

	/** Writes, commits and deletes a small file under a job id of its own, as a job's writer would. */
	private boolean writable() {
		byte[] bytes = new byte[8];
		random.nextBytes(bytes);
		// Under the store's root, where jobs without a tenant go (tenants' folders are beneath it).
		JobFolder probeJob = JobFolder.of("health-probe-" + HexFormat.of().formatHex(bytes));
		try {
			try (BulkFileAppender appender = fileStore.openAppender(probeJob, "probe.txt", 0)) {
				appender.append(PROBE, 0, PROBE.length);
				appender.commit();
			}
			return true;
		} catch (Exception e) {
			LOG.warn("Bulk health: the file store is not writable: {}", e.toString());
			return false;
		} finally {
			try {
				fileStore.deleteAll(probeJob);
			} catch (Exception e) {
				LOG.warn("Bulk health: could not delete the probe file: {}", e.toString());
			}
		}
	}
}
