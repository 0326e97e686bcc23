package hapibulk.bench;

import java.util.List;

/**
 * The benchmark's entry point (docs/performance.md, "The benchmark"): every database named in
 * {@code bench.databases}, then the summary lines, the table and {@code results.json}; or, with
 * {@code bench.cluster} set, the cluster benchmark alone ({@code cluster-results.json}).
 */
public final class BenchMain {

	private BenchMain() {}

	public static void main(String[] args) throws Exception {
		BenchSettings settings = BenchSettings.fromSystemProperties();
		SyntheaCopies copies = new SyntheaCopies(settings.datasets());
		if (!settings.cluster().isEmpty()) {
			List<ClusterFigures> figures = new ClusterBench(settings, copies, settings.cluster()).run();
			ClusterReport report = new ClusterReport(settings.asMap(), figures);
			report.print();
			report.writeJson(settings.dir().resolve("cluster-results.json"));
			System.out.println("Figures written to " + settings.dir().resolve("cluster-results.json").toAbsolutePath());
			System.exit(0);
		}
		BenchResults results = new BenchResults(settings.asMap());
		for (String database : settings.databases()) {
			new DatabaseBench(database.trim(), settings, copies, results).run();
		}
		results.print();
		results.writeJson(settings.dir().resolve("results.json"));
		System.out.println("Figures written to " + settings.dir().resolve("results.json").toAbsolutePath());
		System.exit(0); // HAPI's and Spring Batch's pools keep non-daemon threads
	}
}
