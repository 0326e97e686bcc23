package hapibulk.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.SyntheaCopies.DataSet;
import hapibulk.export.ExportJobService;
import hapibulk.imports.ImportJobService;
import hapibulk.job.BulkBatchEngine;
import hapibulk.job.BulkJobKeys;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobTable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The cluster benchmark ({@code bench.cluster}, e.g. {@code 1,2,3}; docs/performance.md, "The cluster"):
 * our system export and our import, as the benchmark's {@code ours} runs do them, with 1, 2, 3... worker
 * processes. This JVM is the accept-only node ({@code hapi.bulk.cluster.worker=false}: it takes the
 * kick-offs, plans, sends the partitions and writes the manifests); the workers are the sample WAR started
 * with {@code java -jar}, on the same fresh PostgreSQL database, the same RabbitMQ queue (a name unique to the
 * run) and the same bucket of an S3 server in a process of its own (s3proxy on loopback, every request counted). Workers
 * are added one by one, so the run with N workers follows the one with N-1 on the same nodes.
 * {@code bench.operations} selects export, import or both, as for the per-database benchmark.
 */
final class ClusterBench {

	/** Large types are cut into ranges of this many resources (unless hapi.bulk.export.partition-size is given). */
	static final String PARTITION_SIZE = "50000";
	private static final String RABBIT_HOST = System.getProperty("bench.rabbitmq.host", "127.0.0.1");
	private static final int RABBIT_PORT = Integer.getInteger("bench.rabbitmq.port", 5672);
	/** How long the idle nodes' database background is measured, per number of workers. */
	private static final long IDLE_MILLIS = 30_000;

	private final BenchSettings settings;
	private final SyntheaCopies copies;
	private final List<Integer> workerCounts;
	private final List<ClusterFigures> figures = new ArrayList<>();

	ClusterBench(BenchSettings settings, SyntheaCopies copies, List<Integer> workerCounts) {
		this.settings = settings;
		this.copies = copies;
		this.workerCounts = workerCounts.stream().sorted().toList();
	}

	List<ClusterFigures> run() throws Exception {
		Path dir = settings.dir().resolve("cluster");
		String queue = "hapi-bulk.bench-" + UUID.randomUUID().toString().substring(0, 8);
		BenchDatabase database = BenchDatabase.fresh("postgres", settings.dir());
		List<ClusterWorker> workers = new ArrayList<>();
		try (NdjsonFileServer files = new NdjsonFileServer(dir);
				BenchS3Server s3 = new BenchS3Server(dir.resolve("s3"));
				AnnotationConfigApplicationContext context = acceptNode(database, dir, files.url(dir), s3, queue)) {
			// For loading the export data here, as DatabaseBench does; the workers import with the WAR's own settings.
			JpaStorageSettings storage = context.getBean(JpaStorageSettings.class);
			storage.setMassIngestionMode(true);
			storage.setEnforceReferentialIntegrityOnWrite(false);
			DataSource dataSource = context.getBean(DataSource.class);
			FloorImport floorImport = new FloorImport(context.getBean(FhirContext.class), context.getBean(DaoRegistry.class),
					context.getBean(EntityManagerFactory.class), context.getBean(PlatformTransactionManager.class),
					settings.threads());
			DatabaseBench.loadExportData(floorImport, dataSource, copies, settings.resources(), dir,
					"postgres");
			Map<String, String> workerSettings = workerSettings(s3, queue, files.url(dir));
			Probe probe = new Probe(context, s3, workers);
			OursExport export = new OursExport(context.getBean(ExportJobService.class),
					context.getBean(BulkJobTable.class), context.getBean(BulkJobService.class));
			OursImport importer = new OursImport(context.getBean(ImportJobService.class),
					context.getBean(BulkJobTable.class), files);
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			for (int count : workerCounts) {
				while (workers.size() < count) {
					String name = "worker-" + (workers.size() + 1);
					long started = System.nanoTime();
					workers.add(ClusterWorker.start(name, settings.war(), dir.resolve("workers"), database,
							settings.workerJvmArgs(), workerSettings));
					log(String.format("%s started in %.1f s (pid %d)", name, (System.nanoTime() - started) / 1e9,
							workers.get(workers.size() - 1).pid()));
				}
				IdleRate idle = probe.idleRate();
				log(String.format("%d workers idle: %s", count, idle.line()));
				for (int run = 1; run <= settings.runs() && settings.measures("export"); run++) {
					int thisRun = run;
					long stored = count(jdbc); // the export data, and what the imports before this run added
					add(probe.measure("export", count, run, idle, () -> {
						Outcome outcome = export.export(SyntheaCopies.DEPENDENCY_ORDER, thisRun);
						return new Outcome(outcome.resources(), outcome.resources() == stored ? ""
								: "exported " + outcome.resources() + " of " + stored);
					}, export::lastJobId, export::cleanUp));
				}
				int size = Math.min(settings.importResources(), settings.resources());
				for (int run = 1; run <= settings.runs() && size > 0 && settings.measures("import"); run++) {
					// Fresh ids every run, made untimed: copies numbered apart from the export data's and from each
					// other's (a run takes up to 100 copies), so no run updates what an earlier one stored.
					DataSet set = copies.write(dir.resolve("import-data"), size, 5000 + 1000 * count + 100 * run);
					add(probe.measure("import", count, run, idle, () -> {
						long before = count(jdbc);
						Outcome outcome = importer.importSet(set);
						long stored = count(jdbc) - before;
						return new Outcome(stored, stored == set.total() ? outcome.note()
								: "stored " + stored + " of " + set.total());
					}, importer::lastJobId, () -> {}));
				}
			}
		} finally {
			for (ClusterWorker worker : workers) {
				worker.close();
			}
			deleteQueue(queue);
			database.drop();
		}
		return figures;
	}

	private void add(ClusterFigures run) {
		figures.add(run);
		System.out.println(run.line());
		System.out.println(run.perThousandLine());
	}

	private AnnotationConfigApplicationContext acceptNode(BenchDatabase database, Path dir, String filesUrl,
			BenchS3Server s3, String queue) {
		Map<String, String> extra = new HashMap<>(clusterSettings(queue));
		extra.putAll(s3.storeSettings());
		extra.put("hapi.bulk.cluster.worker", "false");
		extra.put("hapi.bulk.cluster.node-id", "accept");
		return DatabaseBench.newContext(database, dir, filesUrl, extra, context -> {
			// A plain Spring host's part (docs/cluster.md): the RabbitMQ connection, and a registry for our meters.
			context.registerBean("rabbitConnectionFactory", CachingConnectionFactory.class, ClusterBench::rabbit,
					definition -> definition.setDestroyMethodName("destroy"));
			context.registerBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new);
		});
	}

	/** What every node gets alike. */
	private static Map<String, String> clusterSettings(String queue) {
		return Map.of("hapi.bulk.cluster.enabled", "true",
				"hapi.bulk.cluster.queue", queue,
				"hapi.bulk.export.partition-size", System.getProperty("hapi.bulk.export.partition-size", PARTITION_SIZE));
	}

	/** A worker's settings: the accept node's (DatabaseBench's and the cluster's), plus Boot's RabbitMQ ones. */
	private static Map<String, String> workerSettings(BenchS3Server s3, String queue, String filesUrl) {
		Map<String, String> worker = new LinkedHashMap<>();
		worker.put("hapi.bulk.retry-after", "0s");
		worker.put("hapi.bulk.auth.mode", "none");
		worker.put("hapi.bulk.audit.store-events", "false");
		worker.put("hapi.bulk.export.create-type-index", "true");
		worker.put("hapi.bulk.import.allowed-sources", filesUrl);
		worker.putAll(clusterSettings(queue));
		worker.putAll(s3.storeSettings());
		worker.put("spring.rabbitmq.host", RABBIT_HOST);
		worker.put("spring.rabbitmq.port", Integer.toString(RABBIT_PORT));
		worker.put("spring.rabbitmq.username", "guest");
		worker.put("spring.rabbitmq.password", "guest");
		System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith("hapi.bulk."))
				.forEach(name -> worker.put(name, System.getProperty(name)));
		return worker;
	}

	private static CachingConnectionFactory rabbit() {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(RABBIT_HOST, RABBIT_PORT);
		connectionFactory.setUsername("guest");
		connectionFactory.setPassword("guest");
		return connectionFactory;
	}

	private static void deleteQueue(String queue) {
		CachingConnectionFactory connectionFactory = rabbit();
		try {
			new RabbitAdmin(connectionFactory).deleteQueue(queue);
		} catch (RuntimeException e) {
			log("could not delete the queue " + queue + ": " + e);
		} finally {
			connectionFactory.destroy();
		}
	}

	private static long count(JdbcTemplate jdbc) {
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE WHERE RES_DELETED_AT IS NULL", Long.class);
		return count == null ? 0 : count;
	}

	private static void log(String message) {
		System.out.println("[bench cluster] " + message);
	}

	/** The database's activity while every node idles, {@code seconds} long. */
	record IdleRate(DatabaseActivity activity, double seconds) {
		/** The same background over {@code window} seconds. */
		DatabaseActivity over(double window) {
			double scale = window / seconds;
			return new DatabaseActivity(Math.round(activity.transactions() * scale),
					Math.round(activity.tableScans() * scale), Math.round(activity.rowsWritten() * scale));
		}

		String line() {
			return String.format(java.util.Locale.ROOT, "per second %.2f transactions, %.2f table scans, %.2f rows written",
					activity.transactions() / seconds, activity.tableScans() / seconds, activity.rowsWritten() / seconds);
		}
	}

	/** One timed run. */
	interface TimedRun {
		Outcome run() throws Exception;
	}

	/** A step that may throw. */
	interface Step {
		void call() throws Exception;
	}

	/** Reads every counter before and after a run. */
	private static final class Probe {

		private final DataSource dataSource;
		private final JdbcTemplate jdbc;
		private final MeterRegistry registry;
		private final BulkBatchEngine engine;
		private final BulkJobTable table;
		private final BenchS3Server s3;
		private final List<ClusterWorker> workers;

		Probe(AnnotationConfigApplicationContext context, BenchS3Server s3, List<ClusterWorker> workers) {
			this.dataSource = context.getBean(DataSource.class);
			this.jdbc = new JdbcTemplate(dataSource);
			this.registry = context.getBean(MeterRegistry.class);
			this.engine = context.getBean(BulkBatchEngine.class);
			this.table = context.getBean(BulkJobTable.class);
			this.s3 = s3;
			this.workers = workers;
		}

		/** The database's activity per second while every node is idle (leases, HAPI's schedulers). */
		IdleRate idleRate() throws InterruptedException {
			Thread.sleep(DatabaseActivity.SETTLE_MILLIS);
			DatabaseActivity before = DatabaseActivity.read(dataSource);
			long start = System.nanoTime();
			Thread.sleep(IDLE_MILLIS);
			DatabaseActivity after = DatabaseActivity.read(dataSource);
			return new IdleRate(after.minus(before), (System.nanoTime() - start) / 1e9);
		}

		ClusterFigures measure(String operation, int workerCount, int run, IdleRate idle, TimedRun timed,
				java.util.function.Supplier<String> jobId, Step cleanUp) throws Exception {
			Thread.sleep(DatabaseActivity.SETTLE_MILLIS); // the previous run's statistics published
			DatabaseActivity databaseBefore = DatabaseActivity.read(dataSource);
			Map<String, Double> cpuBefore = cpu();
			Map<Long, Double> postgresBefore = postgresBackends();
			Map<Long, Double> rabbitBefore = ProcessCpu.secondsByPid("beam.smp");
			Map<String, Long> s3Before = s3.requests();
			double sentBefore = sent();
			long start = System.nanoTime();
			Outcome outcome = timed.run();
			double seconds = (System.nanoTime() - start) / 1e9;
			Map<String, Double> cpuAfter = cpu();
			Map<Long, Double> postgresAfter = postgresBackends();
			Map<Long, Double> rabbitAfter = ProcessCpu.secondsByPid("beam.smp");
			Map<String, Long> s3After = s3.requests();
			double sentAfter = sent();
			Thread.sleep(DatabaseActivity.SETTLE_MILLIS);
			double window = (System.nanoTime() - start) / 1e9;
			DatabaseActivity database = DatabaseActivity.read(dataSource).minus(databaseBefore);
			Map<String, Long> byNode = partitionsByNode(jobId.get());
			cleanUp.call();
			Map<String, Long> s3CleanUp = minus(s3.requests(), s3After);

			Map<String, Double> cpuUsed = new LinkedHashMap<>();
			double attributed = 0;
			for (Map.Entry<String, Double> entry : cpuAfter.entrySet()) {
				if (!entry.getKey().equals("machine")) {
					double used = entry.getValue() - cpuBefore.getOrDefault(entry.getKey(), 0.0);
					cpuUsed.put(entry.getKey(), used);
					attributed += used;
				}
			}
			// Backends that connected during the run count from zero; the broker's long-running process only.
			double postgres = postgresAfter.entrySet().stream()
					.mapToDouble(e -> e.getValue() - postgresBefore.getOrDefault(e.getKey(), 0.0)).sum();
			double rabbit = ProcessCpu.usedBetween(rabbitBefore, rabbitAfter);
			cpuUsed.put("postgres", postgres);
			cpuUsed.put("rabbitmq", rabbit);
			cpuUsed.put("other", Math.max(0,
					cpuAfter.get("machine") - cpuBefore.get("machine") - attributed - postgres - rabbit));
			ClusterFigures figures = new ClusterFigures(operation, workerCount, run, outcome.resources(), seconds, cpuUsed,
					Math.round(sentAfter - sentBefore), byNode, database, idle.over(window), window, minus(s3After, s3Before),
					s3CleanUp, outcome.note());
			return figures;
		}

		/** CPU seconds so far: this JVM, each worker, the S3 server, and the machine's busy total. */
		private Map<String, Double> cpu() {
			Map<String, Double> cpu = new LinkedHashMap<>();
			cpu.put("accept", ProcessCpu.seconds(ProcessHandle.current().pid()));
			workers.forEach(worker -> cpu.put(worker.name(), worker.cpuSeconds()));
			cpu.put("s3", s3.cpuSeconds());
			cpu.put("machine", CpuMeter.machineBusySeconds());
			return cpu;
		}

		/** CPU seconds of the PostgreSQL backends serving the benchmark's database, by process id. */
		private Map<Long, Double> postgresBackends() {
			Map<Long, Double> backends = new HashMap<>();
			jdbc.queryForList("SELECT pid FROM pg_stat_activity WHERE datname = current_database()", Long.class)
					.forEach(pid -> backends.put(pid, Math.max(0, ProcessCpu.seconds(pid))));
			return backends;
		}

		private double sent() {
			return registry.find("hapi.bulk.cluster.partitions.sent").counters().stream().mapToDouble(Counter::count).sum();
		}

		/** The job's partitions (worker step executions, named {@code step:partition}) by the node that ran them. */
		private Map<String, Long> partitionsByNode(String jobId) {
			Map<String, Long> byNode = new TreeMap<>();
			Long executionId = table.find(jobId).orElseThrow().executionId();
			JobExecution execution = engine.jobExplorer().getJobExecution(executionId);
			for (StepExecution step : execution.getStepExecutions()) {
				if (step.getStepName().contains(":")) {
					byNode.merge(step.getExecutionContext().getString(BulkJobKeys.PARTITION_NODE, "none"), 1L, Long::sum);
				}
			}
			return byNode;
		}

		private static Map<String, Long> minus(Map<String, Long> after, Map<String, Long> before) {
			Map<String, Long> difference = new TreeMap<>();
			after.forEach((key, value) -> {
				long delta = value - before.getOrDefault(key, 0L);
				if (delta != 0) {
					difference.put(key, delta);
				}
			});
			return difference;
		}
	}
}
