package hapibulk.bench;

import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.rest.api.server.bulk.BulkExportJobParameters;
import ca.uhn.fhir.util.Batch2JobDefinitionConstants;
import hapibulk.bench.Contenders.ExportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;

import java.util.List;

/** HAPI 8.8's own system {@code $export}: its Batch2 job, from start until its Binary files are written. */
final class BuiltinExport implements ExportContender {

	private final BuiltinBatch2Jobs jobs;

	BuiltinExport(BuiltinBatch2Jobs jobs) {
		this.jobs = jobs;
	}

	@Override
	public Role role() {
		return Role.BUILTIN;
	}

	@Override
	public Outcome export(List<String> types, int run) throws InterruptedException {
		// What HAPI's BulkDataExportProvider builds for GET [base]/$export?_type=...
		BulkExportJobParameters parameters = new BulkExportJobParameters();
		parameters.setExportStyle(BulkExportJobParameters.ExportStyle.SYSTEM);
		parameters.setOutputFormat("application/fhir+ndjson");
		parameters.setResourceTypes(types);
		parameters.setOriginalRequestUrl("http://bench/fhir/$export?_type=" + String.join(",", types));
		JobInstance instance = jobs.runToEnd(Batch2JobDefinitionConstants.BULK_EXPORT, parameters);
		Integer records = instance.getCombinedRecordsProcessed();
		return new Outcome(records == null ? -1 : records, "");
	}
}
