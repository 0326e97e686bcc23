package hapibulk.bench;

import ca.uhn.fhir.batch2.jobs.imprt.BulkImportAppCtx;
import ca.uhn.fhir.batch2.jobs.imprt.BulkImportJobParameters;
import ca.uhn.fhir.batch2.model.JobInstance;
import hapibulk.bench.Contenders.ImportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.SyntheaCopies.DataSet;

/** HAPI 8.8's own {@code $import}: its Batch2 pull job fetching the set's files over HTTP, until it completed. */
final class BuiltinImport implements ImportContender {

	private final BuiltinBatch2Jobs jobs;
	private final NdjsonFileServer files;

	BuiltinImport(BuiltinBatch2Jobs jobs, NdjsonFileServer files) {
		this.jobs = jobs;
		this.files = files;
	}

	@Override
	public Role role() {
		return Role.BUILTIN;
	}

	@Override
	public Outcome importSet(DataSet set) throws InterruptedException {
		// What HAPI's BulkDataImportProvider builds from a $import Parameters body.
		BulkImportJobParameters parameters = new BulkImportJobParameters();
		for (String type : SyntheaCopies.DEPENDENCY_ORDER) {
			if (set.counts().get(type) > 0) {
				parameters.addNdJsonUrl(files.url(set.file(type)));
			}
		}
		parameters.setMaxBatchResourceCount(BulkImportAppCtx.PARAM_MAXIMUM_BATCH_SIZE_DEFAULT);
		JobInstance instance = jobs.runToEnd(BulkImportAppCtx.JOB_BULK_IMPORT_PULL, parameters);
		Integer records = instance.getCombinedRecordsProcessed();
		return new Outcome(records == null ? -1 : records, "");
	}
}
