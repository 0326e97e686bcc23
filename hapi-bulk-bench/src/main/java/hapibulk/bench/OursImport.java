package hapibulk.bench;

import hapibulk.bench.Contenders.ImportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.SyntheaCopies.DataSet;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;

import java.util.ArrayList;
import java.util.List;

/** hapi-bulk's {@code $import}, submitted as the provider does, fetching the set's files over HTTP like HAPI's. */
final class OursImport implements ImportContender {

	private final ImportJobService importJobService;
	private final BulkJobTable table;
	private final NdjsonFileServer files;
	private String lastJobId;

	OursImport(ImportJobService importJobService, BulkJobTable table, NdjsonFileServer files) {
		this.importJobService = importJobService;
		this.table = table;
		this.files = files;
	}

	@Override
	public Role role() {
		return Role.OURS;
	}

	@Override
	public Outcome importSet(DataSet set) throws InterruptedException {
		List<ImportRequest.Input> inputs = new ArrayList<>();
		for (String type : SyntheaCopies.DEPENDENCY_ORDER) {
			if (set.counts().get(type) > 0) {
				inputs.add(new ImportRequest.Input(type, files.url(set.file(type))));
			}
		}
		String id = importJobService.submit(new ImportRequest("http://bench/source", "https", null, inputs,
				"http://bench/fhir/$import"), null).id();
		BulkJob job = table.find(id).orElseThrow();
		while (job.state().isActive()) {
			Thread.sleep(10);
			job = table.find(id).orElseThrow();
		}
		if (job.state() != BulkJobState.COMPLETED) {
			throw new IllegalStateException("Import " + id + " ended " + job.state() + ": " + job.errorMessage());
		}
		lastJobId = id;
		return new Outcome(job.progressDone(), "");
	}

	/** The job of the last completed run (null before one). */
	String lastJobId() {
		return lastJobId;
	}
}
