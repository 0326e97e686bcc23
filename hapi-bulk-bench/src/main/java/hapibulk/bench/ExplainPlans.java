package hapibulk.bench;

import hapibulk.export.job.StoredResourceReader;

/**
 * Prints the database's plan for hapi-bulk's export page query, so that a plan that sorts a whole
 * type for every page shows in the benchmark's log.
 */
final class ExplainPlans {

	private ExplainPlans() {}

	static void print(StoredResourceReader reader, String kind) {
		System.out.println("[bench " + kind + "] plan of the export page query (system export, Procedure):");
		reader.pagePlan("Procedure").forEach(line -> System.out.println("    " + line.replace("\n", "\n    ")));
	}
}
