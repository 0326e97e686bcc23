package hapibulk.bench;

import hapibulk.bench.SyntheaCopies.DataSet;

import java.util.List;

/** The parties of the benchmark: who exports, who imports. A missing one is reported as n/a. */
final class Contenders {

	private Contenders() {}

	/** The three roles of each measured operation; the printed line has one figure per role. */
	enum Role {
		BUILTIN, OURS, FLOOR
	}

	/** What a run did, beside its time: how many resources it wrote, and anything worth knowing. */
	record Outcome(long resources, String note) {}

	/** Exports every resource of {@code types} in the context's database, until its files are complete. */
	interface ExportContender {
		Role role();

		Outcome export(List<String> types, int run) throws Exception;

		/** Removes what the last run wrote (untimed). */
		default void cleanUp() throws Exception {}
	}

	/** Imports one generated data set (fresh ids each run) into the context's database, until stored. */
	interface ImportContender {
		Role role();

		Outcome importSet(DataSet set) throws Exception;
	}
}
