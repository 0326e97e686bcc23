package hapibulk.bench;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark's parameters, from {@code -Dbench.*} system properties (the bench module's pom passes them).
 * {@code storages} ({@code bench.storage}): {@code local} (default), or {@code local,s3} to measure our system
 * export to S3 too (s3proxy in this process), against the same export to local files. {@code cluster}
 * ({@code bench.cluster}, e.g. {@code 1,2,3}; empty by default): the cluster benchmark with these numbers of
 * worker processes, instead of the per-database benchmark ({@link ClusterBench}); {@code war} the sample WAR the
 * workers run, {@code workerJvmArgs} their JVM options.
 */
record BenchSettings(int resources, int importResources, List<String> databases, int runs, int threads, Path dir,
		Path datasets, List<String> contenders, List<String> operations, boolean latency, List<String> storages,
		List<Integer> cluster, Path war, String workerJvmArgs) {

	/** Whether this contender is measured ({@code bench.contenders}, default all; e.g. ours,floor while profiling). */
	boolean runs(Contenders.Role role) {
		return contenders.contains(role.name().toLowerCase(java.util.Locale.ROOT));
	}

	/** Whether this operation is measured ({@code bench.operations}: export, import or both, the default). */
	boolean measures(String operation) {
		return operations.contains(operation);
	}

	static BenchSettings fromSystemProperties() {
		int resources = Integer.getInteger("bench.resources", 200_000);
		return new BenchSettings(resources, Integer.getInteger("bench.import-resources", 10_000),
				List.of(System.getProperty("bench.databases", "h2,postgres").split(",")),
				Integer.getInteger("bench.runs", 3),
				Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors()),
				Path.of(System.getProperty("bench.dir", "target/bench")),
				Path.of(System.getProperty("bench.datasets", "src-it/datasets/synthea-10-patients")),
				List.of(System.getProperty("bench.contenders", "builtin,ours,floor").split(",")),
				List.of(System.getProperty("bench.operations", "export,import").split(",")),
				Boolean.parseBoolean(System.getProperty("bench.latency", "true")),
				List.of(System.getProperty("bench.storage", "local").split(",")),
				java.util.Arrays.stream(System.getProperty("bench.cluster", "").split(",")).map(String::trim)
						.filter(count -> !count.isEmpty()).map(Integer::valueOf).toList(),
				Path.of(System.getProperty("bench.war", "hapi-bulk-starter-war/target/hapi-bulk-starter.war")),
				System.getProperty("bench.worker-jvm-args", "-Xmx1g"));
	}

	Map<String, Object> asMap() {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("resources", resources);
		map.put("import_resources", importResources);
		map.put("databases", databases);
		map.put("runs", runs);
		map.put("threads", threads);
		map.put("contenders", contenders);
		map.put("operations", operations);
		map.put("storage", storages);
		if (!cluster.isEmpty()) {
			map.put("cluster_workers", cluster);
			map.put("worker_jvm_args", workerJvmArgs);
			map.put("partition_size", System.getProperty("hapi.bulk.export.partition-size", ClusterBench.PARTITION_SIZE));
		}
		map.put("cores", Runtime.getRuntime().availableProcessors());
		map.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
		map.put("java", System.getProperty("java.version"));
		return map;
	}
}
