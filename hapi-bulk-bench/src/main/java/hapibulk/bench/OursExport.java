package hapibulk.bench;

import hapibulk.bench.Contenders.ExportContender;
import hapibulk.bench.Contenders.Outcome;
import hapibulk.bench.Contenders.Role;
import hapibulk.export.ExportJobService;
import hapibulk.export.ExportRequest;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobService;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;

import java.util.List;
import java.util.function.Function;

/**
 * hapi-bulk's {@code $export}, submitted as the provider does, until its manifest is stored: at system
 * level, or any request of the caller's (the Patient and Group exports of the benchmark).
 */
final class OursExport implements ExportContender {

	private final ExportJobService exportJobService;
	private final BulkJobTable table;
	private final BulkJobService jobService;
	private final Function<List<String>, ExportRequest> request;
	private String lastJobId;

	OursExport(ExportJobService exportJobService, BulkJobTable table, BulkJobService jobService) {
		this(exportJobService, table, jobService, types -> ExportRequest.system(types, null,
				"http://bench/fhir/$export?_type=" + String.join(",", types)));
	}

	/** @param request the request to submit for the types to export */
	OursExport(ExportJobService exportJobService, BulkJobTable table, BulkJobService jobService,
			Function<List<String>, ExportRequest> request) {
		this.exportJobService = exportJobService;
		this.table = table;
		this.jobService = jobService;
		this.request = request;
	}

	@Override
	public Role role() {
		return Role.OURS;
	}

	@Override
	public Outcome export(List<String> types, int run) throws InterruptedException {
		String id = exportJobService.submit(request.apply(types), false).id();
		BulkJob job = table.find(id).orElseThrow();
		while (job.state().isActive()) {
			Thread.sleep(10);
			job = table.find(id).orElseThrow();
		}
		if (job.state() != BulkJobState.COMPLETED || job.manifestJson() == null) {
			throw new IllegalStateException("Export " + id + " ended " + job.state() + ": " + job.errorMessage());
		}
		lastJobId = id;
		return new Outcome(job.progressDone(), "");
	}

	/** The job of the last completed run (null before one). */
	String lastJobId() {
		return lastJobId;
	}

	@Override
	public void cleanUp() {
		if (lastJobId != null) {
			jobService.cancel(table.find(lastJobId).orElseThrow());
		}
	}
}
