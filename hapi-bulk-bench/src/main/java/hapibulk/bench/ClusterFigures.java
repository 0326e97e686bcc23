package hapibulk.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One measured run of the cluster benchmark: an export or import with {@code workers} worker processes,
 * its time, the CPU seconds of every process, and what it cost the broker, the database and the object store.
 *
 * @param cpuSeconds      by process: {@code accept} (this JVM: the accept-only node, s3proxy and the import's
 *                        file server), {@code worker-N}, {@code postgres} (every PostgreSQL process),
 *                        {@code rabbitmq} (beam.smp), {@code other} (the rest of the machine's busy time)
 * @param messages        partition requests sent to the queue ({@code hapi.bulk.cluster.partitions.sent})
 * @param partitionsByNode partition step executions of the job, by the node that ran them
 * @param database        PostgreSQL's counters over the run and the settling time after it
 *                        ({@link DatabaseActivity}); {@code databaseWindowSeconds} long
 * @param background      what the same nodes, idle, make the database do over as long (measured before the
 *                        runs): subtracted to give the run's own figures
 * @param s3Requests      requests the S3 server received during the run, by operation
 * @param s3CleanUpRequests requests of deleting the run's files afterwards (the job's expiry), by operation
 */
record ClusterFigures(String operation, int workers, int run, long resources, double seconds,
		Map<String, Double> cpuSeconds, long messages, Map<String, Long> partitionsByNode, DatabaseActivity database,
		DatabaseActivity background, double databaseWindowSeconds, Map<String, Long> s3Requests,
		Map<String, Long> s3CleanUpRequests, String note) {

	double resourcesPerSecond() {
		return resources / seconds;
	}

	/** The run's own database activity: what was counted less the idle nodes' background over the same window. */
	DatabaseActivity own() {
		return new DatabaseActivity(Math.max(0, database.transactions() - background.transactions()),
				Math.max(0, database.tableScans() - background.tableScans()),
				Math.max(0, database.rowsWritten() - background.rowsWritten()));
	}

	double perThousand(double count) {
		return resources <= 0 ? 0 : count * 1000.0 / resources;
	}

	long s3Total() {
		return s3Requests.values().stream().mapToLong(Long::longValue).sum();
	}

	double cpuTotal() {
		return cpuSeconds.entrySet().stream().filter(e -> !e.getKey().equals("other"))
				.mapToDouble(Map.Entry::getValue).sum();
	}

	String line() {
		return String.format(Locale.ROOT, "cluster %s workers=%d run=%d resources=%d s=%.2f resources_per_s=%.0f"
						+ " cpu_s={%s} messages=%d partitions_by_node=%s db_counted=%s db_idle_background=%s db_window_s=%.1f"
						+ " s3=%s s3_cleanup=%s%s",
				operation, workers, run, resources, seconds, resourcesPerSecond(), cpu(), messages, partitionsByNode,
				database, background, databaseWindowSeconds, s3Requests, s3CleanUpRequests,
				note.isEmpty() ? "" : " note=" + note);
	}

	/** Per 1,000 resources: messages, the database's own transactions, table scans, rows written, S3 requests, CPU. */
	String perThousandLine() {
		Map<String, String> s3 = new LinkedHashMap<>();
		BenchS3Server.operations().forEach(op -> s3.put(op, String.format(Locale.ROOT, "%.2f",
				perThousand(s3Requests.getOrDefault(op, 0L)))));
		return String.format(Locale.ROOT, "per-1000 %s workers=%d run=%d messages=%.3f db_tx=%.1f db_table_scans=%.1f"
						+ " db_rows_written=%.1f s3_requests=%.2f s3=%s cpu_s_all_processes=%.3f cpu_s_workers=%.3f"
						+ " cpu_s_postgres=%.3f",
				operation, workers, run, perThousand(messages), perThousand(own().transactions()),
				perThousand(own().tableScans()), perThousand(own().rowsWritten()), perThousand(s3Total()),
				s3, perThousand(cpuTotal()), perThousand(workerCpu()), perThousand(cpuSeconds.getOrDefault("postgres", 0.0)));
	}

	double workerCpu() {
		return cpuSeconds.entrySet().stream().filter(e -> e.getKey().startsWith("worker-"))
				.mapToDouble(Map.Entry::getValue).sum();
	}

	private String cpu() {
		return cpuSeconds.entrySet().stream()
				.map(e -> e.getKey() + "=" + String.format(Locale.ROOT, "%.1f", e.getValue()))
				.collect(Collectors.joining(", "));
	}
}
