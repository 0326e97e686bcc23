package hapibulk.bench;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import ca.uhn.fhir.rest.server.RestfulServer;
import hapibulk.bench.BenchResults.Measured;
import hapibulk.bench.BenchResults.Row;
import hapibulk.bench.Contenders.ExportContender;
import hapibulk.bench.Contenders.ImportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.CpuMeter.CpuUse;
import hapibulk.bench.SyntheaCopies.DataSet;
import hapibulk.config.BulkConfiguration;
import hapibulk.deid.DeidProfiles;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.export.job.StoredResourceReader;
import hapibulk.job.BulkJobService;
import hapibulk.imports.ImportJobService;
import hapibulk.job.BulkJobTable;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.DigestingFileStore;
import hapibulk.storage.LocalFileStore;
import hapibulk.storage.s3.S3FileStore;
import hapibulk.tenant.Tenant;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The whole benchmark on one database: a fresh database and HAPI context with hapi-bulk, the export
 * data loaded (by the import floor's path), then every export contender and every import contender,
 * each {@code runs} times.
 */
final class DatabaseBench {

	/** Members of the Group whose export is measured. */
	private static final int GROUP_MEMBERS = 100;

	private final String kind;
	private final BenchSettings settings;
	private final SyntheaCopies copies;
	private final BenchResults results;

	DatabaseBench(String kind, BenchSettings settings, SyntheaCopies copies, BenchResults results) {
		this.kind = kind;
		this.settings = settings;
		this.copies = copies;
		this.results = results;
	}

	void run() throws Exception {
		Path dir = settings.dir().resolve(kind);
		BenchDatabase database = BenchDatabase.fresh(kind, settings.dir());
		// Started first: our $import fetches only from allowed sources, which the context reads at start.
		try (NdjsonFileServer files = new NdjsonFileServer(dir);
				AnnotationConfigApplicationContext context = context(database, dir, files.url(dir))) {
			JpaStorageSettings storage = context.getBean(JpaStorageSettings.class);
			// HAPI's best settings for bulk writes, for every import contender alike. Referential integrity
			// is not checked on write: HAPI's $import stores chunks in parallel, out of dependency order,
			// and fails with the check on.
			storage.setMassIngestionMode(true);
			storage.setEnforceReferentialIntegrityOnWrite(false);

			DataSource dataSource = context.getBean(DataSource.class);
			FloorImport floorImport = new FloorImport(context.getBean(FhirContext.class), context.getBean(DaoRegistry.class),
					context.getBean(EntityManagerFactory.class), context.getBean(PlatformTransactionManager.class),
					settings.threads());
			BuiltinBatch2Jobs batch2 = new BuiltinBatch2Jobs(context.getBean(IJobCoordinator.class),
					context.getBean(IJobMaintenanceService.class));

			int exportSize = loadExportData(floorImport, dataSource, copies, settings.resources(), dir, kind);
			ExplainPlans.print(context.getBean(StoredResourceReader.class), kind);

			List<ExportContender> exporters = List.of(new BuiltinExport(batch2),
					new OursExport(context.getBean(ExportJobService.class), context.getBean(BulkJobTable.class),
							context.getBean(BulkJobService.class)),
					new FloorExport(dataSource, dir.resolve("floor-export")));
			Map<Role, Measured> exports = BenchResults.newRoleMap();
			for (ExportContender exporter : exporters) {
				if (!settings.runs(exporter.role()) || !settings.measures("export")) {
					continue;
				}
				exports.put(exporter.role(), measure("export " + exporter.role(), run -> {
					Outcome outcome = exporter.export(SyntheaCopies.DEPENDENCY_ORDER, run);
					return outcome;
				}, exporter::cleanUp));
			}
			if (settings.measures("export")) {
				results.add(new Row("export", kind, exportSize, exports));
			}
			if (settings.measures("export") && settings.runs(Role.OURS)) {
				measureCompartmentExports(context, exports.get(Role.OURS));
				if (settings.storages().contains("s3")) {
					measureS3Export(context, dir, exports.get(Role.OURS));
				}
				if (settings.measures("deid")) {
					measureDeidExport(context, exports.get(Role.OURS));
				}
				if (settings.measures("tenant")) {
					measureTenantExport(context, dataSource, exports.get(Role.OURS));
				}
			}

			if (settings.latency()) {
				try {
					HttpLatency.Figures latency = new HttpLatency(context.getBean(BulkJobTable.class))
							.measure(context.getBean(RestfulServer.class), dir.resolve("tomcat"));
					results.addLatency(kind, latency);
				} catch (Exception e) {
					log("latency measurement failed: " + e);
					e.printStackTrace(System.out);
				}
			}

			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			List<ImportContender> importers = new ArrayList<>();
			importers.add(new BuiltinImport(batch2, files));
			importers.add(new OursImport(context.getBean(ImportJobService.class), context.getBean(BulkJobTable.class),
					files));
			importers.add(floorImport);
			Map<Role, Measured> imports = BenchResults.newRoleMap();
			int size = Math.min(settings.importResources(), settings.resources());
			for (ImportContender importer : importers) {
				if (!settings.runs(importer.role()) || !settings.measures("import") || size == 0) {
					continue;
				}
				imports.put(importer.role(), measure("import " + importer.role(), run -> {
					// Fresh ids every run: copies numbered apart per contender and run.
					DataSet set = copies.write(dir.resolve("import-data"), size, 1000 * (1 + importer.role().ordinal()) + 100 * run);
					long before = count(jdbc);
					Outcome outcome = importer.importSet(set);
					long stored = count(jdbc) - before;
					return new Outcome(stored, stored == set.total() ? outcome.note()
							: "stored " + stored + " of " + set.total() + " " + outcome.note());
				}, () -> {}));
			}
			if (settings.measures("import")) {
				results.add(new Row("import", kind, size, imports));
			}
		} finally {
			database.drop();
		}
	}

	/**
	 * The export data: one Synthea copy through HAPI's write path (the import floor's), the rest copied in
	 * SQL (SqlReplicator says why). Returns how many resources the database then holds.
	 */
	static int loadExportData(FloorImport floorImport, DataSource dataSource, SyntheaCopies copies, int resources,
			Path dir, String kind) throws Exception {
		DataSet firstCopy = copies.write(dir.resolve("export-data"), Math.min(resources, copies.resourcesPerCopy()), 0);
		log(kind, "loading " + firstCopy.total() + " resources (import floor path)");
		long started = System.nanoTime();
		long loaded = floorImport.importSet(firstCopy).resources();
		log(kind, String.format("loaded %d resources in %.1f s", loaded, (System.nanoTime() - started) / 1e9));
		started = System.nanoTime();
		int copyCount = (resources + copies.resourcesPerCopy() - 1) / copies.resourcesPerCopy();
		int exportSize = (int) new SqlReplicator(dataSource, kind.equals("postgres")).replicate(copyCount, resources);
		log(kind, String.format("replicated to %d resources in %.1f s", exportSize, (System.nanoTime() - started) / 1e9));
		return exportSize;
	}

	/**
	 * Our Group export (100 patients) and Patient export (every patient), without {@code _type}, each
	 * held against our system export by the time per exported resource, in this one process.
	 */
	private void measureCompartmentExports(AnnotationConfigApplicationContext context, Measured system) {
		int members = BenchGroup.create(context.getBean(DaoRegistry.class), context.getBean(JpaStorageSettings.class),
				new JdbcTemplate(context.getBean(DataSource.class)), GROUP_MEMBERS);
		ExportJobService service = context.getBean(ExportJobService.class);
		BulkJobTable table = context.getBean(BulkJobTable.class);
		BulkJobService jobService = context.getBean(BulkJobService.class);
		Map<String, OursExport> exports = new java.util.LinkedHashMap<>();
		exports.put("group" + members, new OursExport(service, table, jobService, types -> ExportRequest.of(ExportLevel.GROUP, "http://bench/fhir/Group/" + BenchGroup.ID + "/$export")
				.withGroupId(BenchGroup.ID)));
		exports.put("patients", new OursExport(service, table, jobService, types -> ExportRequest.of(ExportLevel.PATIENT, "http://bench/fhir/Patient/$export")));
		for (var export : exports.entrySet()) {
			Measured measured = measure("export-" + export.getKey() + " OURS", run -> export.getValue().export(List.of(), run),
					export.getValue()::cleanUp);
			Map<Role, Measured> byRole = BenchResults.newRoleMap();
			byRole.put(Role.OURS, measured);
			results.add(new Row("export-" + export.getKey(), kind, (int) measured.resources(), byRole));
			results.addPerResourceRatio(kind, "export-" + export.getKey(), measured, system);
		}
	}

	/**
	 * Our system export again, de-identified with the built-in safe-harbor profile ({@code bench.operations} with
	 * {@code deid}): every resource parsed, run through the profile and encoded, held against the plain export
	 * (which splices stored JSON without parsing it) by the time per exported resource.
	 */
	private void measureDeidExport(AnnotationConfigApplicationContext context, Measured plain) {
		String keyId = context.getBean(DeidProfiles.class).keyId(DeidProfiles.SAFE_HARBOR).orElseThrow();
		OursExport export = new OursExport(context.getBean(ExportJobService.class), context.getBean(BulkJobTable.class),
				context.getBean(BulkJobService.class), types -> ExportRequest.system(types, null,
						"http://bench/fhir/$export?_anonymizationConfig=safe-harbor")
						.withDeid(DeidProfiles.SAFE_HARBOR, keyId));
		Measured measured = measure("export-deid OURS", run -> export.export(SyntheaCopies.DEPENDENCY_ORDER, run),
				export::cleanUp);
		Map<Role, Measured> byRole = BenchResults.newRoleMap();
		byRole.put(Role.OURS, measured);
		results.add(new Row("export-deid", kind, (int) measured.resources(), byRole));
		results.addPerResourceRatio(kind, "export-deid", measured, plain);
	}

	/**
	 * Our system export of one tenant among {@link TenantSpread#TENANTS} ({@code bench.operations} with {@code tenant};
	 * issue 28's measure): the same data spread over ten partitions, the export limited to one, held against the
	 * unpartitioned system export by the time per exported resource (the aim: at most 1.5x).
	 */
	private void measureTenantExport(AnnotationConfigApplicationContext context, DataSource dataSource,
			Measured plain) {
		int partition = 3;
		Tenant tenant = new Tenant(List.of("T" + partition), List.of(partition), false);
		try (TenantSpread spread = TenantSpread.over(dataSource, kind.equals("postgres"))) {
			log("tenant: " + spread.resourcesOf(partition) + " resources in partition " + partition + " of "
					+ TenantSpread.TENANTS + "; plan of its page query (Procedure):");
			context.getBean(StoredResourceReader.class).pagePlan("Procedure", tenant)
					.forEach(line -> System.out.println("    " + line.replace("\n", "\n    ")));
			OursExport export = new OursExport(context.getBean(ExportJobService.class),
					context.getBean(BulkJobTable.class), context.getBean(BulkJobService.class),
					types -> ExportRequest.system(types, null, "http://bench/fhir/T" + partition + "/$export")
							.withTenant(tenant));
			Measured measured = measure("export-tenant OURS", run -> export.export(SyntheaCopies.DEPENDENCY_ORDER, run),
					export::cleanUp);
			Map<Role, Measured> byRole = BenchResults.newRoleMap();
			byRole.put(Role.OURS, measured);
			results.add(new Row("export-tenant", kind, (int) measured.resources(), byRole));
			results.addPerResourceRatio(kind, "export-tenant", measured, plain);
		}
	}

	/**
	 * Our system export again, its files in S3 (s3proxy on loopback in a process of its own, filesystem back end),
	 * held against the same export to local files by the time per exported resource.
	 */
	private void measureS3Export(AnnotationConfigApplicationContext context, Path dir, Measured local) throws Exception {
		SwitchableFileStore store = (SwitchableFileStore) context.getBean(DigestingFileStore.class).backEnd();
		BulkFileStore localStore = new LocalFileStore(dir.resolve("ours-files"));
		try (BenchS3Server s3 = new BenchS3Server(dir.resolve("s3")); S3FileStore s3Store = s3.store()) {
			store.use(s3Store);
			OursExport export = new OursExport(context.getBean(ExportJobService.class),
					context.getBean(BulkJobTable.class), context.getBean(BulkJobService.class));
			Measured measured = measure("export-s3 OURS", run -> {
				double serverBefore = s3.cpuSeconds();
				Map<String, Long> requestsBefore = s3.requests();
				Outcome outcome = export.export(SyntheaCopies.DEPENDENCY_ORDER, run);
				Map<String, Long> requests = new TreeMap<>(s3.requests());
				requests.replaceAll((operation, count) -> count - requestsBefore.getOrDefault(operation, 0L));
				return new Outcome(outcome.resources(), String.format(Locale.ROOT,
						"%s S3 server CPU s %.1f (in other), requests %s", outcome.note(), s3.cpuSeconds() - serverBefore,
						requests).trim());
			}, export::cleanUp);
			Map<Role, Measured> byRole = BenchResults.newRoleMap();
			byRole.put(Role.OURS, measured);
			results.add(new Row("export-s3", kind, (int) measured.resources(), byRole));
			results.addPerResourceRatio(kind, "export-s3", measured, local);
		} finally {
			store.use(localStore);
		}
	}

	/** One timed run; the set-up in {@code run} that precedes the timing is the data generation only. */
	interface TimedRun {
		Outcome run(int run) throws Exception;
	}

	private Measured measure(String what, TimedRun timed, Callable0 cleanUp) {
		List<Double> seconds = new ArrayList<>();
		List<CpuUse> cpu = new ArrayList<>();
		long peak = 0;
		long resources = 0;
		String note = "";
		for (int run = 0; run < settings.runs(); run++) {
			try (HeapSampler heap = new HeapSampler()) {
				CpuMeter cpuMeter = new CpuMeter();
				long start = System.nanoTime();
				Outcome outcome = timed.run(run);
				double elapsed = (System.nanoTime() - start) / 1e9;
				CpuUse used = cpuMeter.stop();
				heap.close();
				seconds.add(elapsed);
				cpu.add(used);
				peak = Math.max(peak, heap.peakMb());
				resources = outcome.resources();
				note = outcome.note();
				log(String.format("%s run %d: %.2f s, %d resources, peak heap %d MB, CPU s: jvm %.1f, other %.1f %s",
						what, run + 1, elapsed, outcome.resources(), heap.peakMb(), used.jvmSeconds(), used.otherSeconds(),
						outcome.note()));
				cleanUp.call();
			} catch (Exception e) {
				log(what + " run " + (run + 1) + " failed: " + e);
				e.printStackTrace(System.out);
				return new Measured(seconds, cpu, seconds.isEmpty() ? -1 : peak, resources, "failed: " + e.getMessage());
			}
		}
		return new Measured(seconds, cpu, peak, resources, note);
	}

	/** A clean-up step that may throw. */
	interface Callable0 {
		void call() throws Exception;
	}

	private static long count(JdbcTemplate jdbc) {
		Long count = jdbc.queryForObject("SELECT COUNT(*) FROM HFJ_RESOURCE WHERE RES_DELETED_AT IS NULL", Long.class);
		return count == null ? 0 : count;
	}

	private AnnotationConfigApplicationContext context(BenchDatabase database, Path dir, String filesUrl) {
		return newContext(database, dir, filesUrl, Map.of(), context -> {
			if (settings.storages().contains("s3")) {
				// Registered before the extension's configuration: its own store backs off (a host's bean wins). Wrapped
				// as the extension wraps its own, so that manifests take the digests computed while writing.
				context.registerBean(DigestingFileStore.class, () -> new DigestingFileStore(
						new SwitchableFileStore(new LocalFileStore(dir.resolve("ours-files")))));
			}
		});
	}

	/**
	 * A HAPI context with hapi-bulk on {@code database}, with the benchmark's settings, then {@code extra}
	 * settings, then any {@code hapi.bulk.*} system property; {@code beans} registers a host's own beans first.
	 */
	static AnnotationConfigApplicationContext newContext(BenchDatabase database, Path dir, String filesUrl,
			Map<String, String> extra, java.util.function.Consumer<AnnotationConfigApplicationContext> beans) {
		AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext();
		Map<String, Object> properties = new HashMap<>(Map.of(
				"hapi.bulk.file-directory", dir.resolve("ours-files").toString(),
				// 50 pollers poll back to back (HttpLatency): 0 turns the 429 for too early polls off.
				"hapi.bulk.retry-after", "0s",
				// The latency clients carry no tokens; the server's own AuditEvents would be extra data.
				"hapi.bulk.auth.mode", "none",
				"hapi.bulk.audit.store-events", "false",
				// As docs/performance.md advises: without it a type's pages walk every type's keys.
				"hapi.bulk.export.create-type-index", "true",
				// Patient and Group exports hold what their compartments reference (the IG's ONC use).
				"hapi.bulk.export.include-referenced-resources", "true",
				"hapi.bulk.import.allowed-sources", filesUrl,
				// The built-in safe-harbor profile needs a key (only the deid measure uses it).
				"hapi.bulk.deid.keys.crypto-hash-key", "bench-crypto-hash-key-0123456789"));
		properties.putAll(extra);
		// Any hapi.bulk.* setting given to the benchmark's JVM (bench.jvm-args) tunes the extension under test.
		System.getProperties().stringPropertyNames().stream().filter(name -> name.startsWith("hapi.bulk."))
				.forEach(name -> properties.put(name, System.getProperty(name)));
		context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("bench", properties));
		context.registerBean(BenchDatabase.class, () -> database);
		beans.accept(context);
		context.register(BenchHapiConfig.class, BulkConfiguration.class);
		context.refresh();
		return context;
	}

	private void log(String message) {
		log(kind, message);
	}

	private static void log(String kind, String message) {
		System.out.println("[bench " + kind + "] " + message);
	}
}
