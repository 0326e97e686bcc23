package hapibulk.export.job;

import hapibulk.deid.DeidProfiles;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobTable;
import hapibulk.job.BulkManifest.ManifestFile;
import hapibulk.storage.BulkFileStore;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;

import java.io.IOException;
import java.util.List;

/**
 * The worker of one partition (one resource type, the deletions, or the blocks of patients). Each call is one chunk in one transaction: read
 * the next page after the cursor, append it to the part file, make the file durable, and move the
 * cursor in the step's execution context, which Spring Batch commits with the chunk. Holds no state
 * of its own, so partitions can share it on any thread, or on another node.
 */
class ExportTypeTasklet implements Tasklet {

	private final StoredResourceReader reader;
	private final BulkFileStore fileStore;
	private final BulkJobTable table;
	private final ExportLimits limits;
	private final PatientBlockExporter blockExporter;
	private final FinishedFiles finishedFiles;
	private final DeidProfiles deidProfiles;

	ExportTypeTasklet(StoredResourceReader reader, BulkFileStore fileStore, BulkJobTable table, BulkJobFiles jobFiles,
			ExportLimits limits, DeidProfiles deidProfiles) {
		this.deidProfiles = deidProfiles;
		this.reader = reader;
		this.fileStore = fileStore;
		this.table = table;
		this.limits = limits;
		this.blockExporter = new PatientBlockExporter(reader, fileStore, limits);
		this.finishedFiles = new FinishedFiles(jobFiles, fileStore);
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		ExecutionContext context = chunkContext.getStepContext().getStepExecution().getExecutionContext();
		ExportCursor cursor = ExportCursor.from(context);
		DeidentifiedLines deid = DeidentifiedLines.open(context, deidProfiles);
		ExportChunk chunk = PatientBlockExporter.isBlockPartition(context) ? blockExporter.exportChunk(context, cursor, deid)
				: exportChunk(cursor, deid);
		chunk.cursor().writeTo(context);
		boolean blocks = PatientBlockExporter.isBlockPartition(context);
		table.addProgress(cursor.jobId(), ExportPlanTasklet.progressType(cursor.filter(), blocks), chunk.resources());
		contribution.incrementWriteCount(chunk.resources());
		ExportFilter filter = cursor.filter();
		List<ManifestFile> finished = PartDigests.record(fileStore, context, cursor.folder(),
				chunk.cursor().finishedSince(cursor, !chunk.more(), blocks && !filter.deleted() ? null : filter.type()));
		if (finishedFiles.isOn(context)) {
			finishedFiles.register(cursor.folder(), filter.deleted(), finished);
		}
		return RepeatStatus.continueIf(chunk.more());
	}

	/** The next page of the partition's type, appended to its part file (through the de-identification stage, if any). */
	private ExportChunk exportChunk(ExportCursor cursor, DeidentifiedLines deid) throws IOException {
		StoredResourceReader.Page page = reader.readPage(cursor.filter(), cursor.lastPid(), limits.pageSize(),
				limits.pageBytes());
		if (page.resources().isEmpty()) {
			// Rows may have been looked at and left out (deletions of other compartments): move past them.
			return new ExportChunk(cursor.afterPid(Math.max(cursor.lastPid(), page.lastKey())), 0, page.more());
		}
		NdjsonResourceEncoder encoder = new NdjsonResourceEncoder();
		ElementsSubsetter subsetter = cursor.filter().elements().isEmpty() ? null
				: new ElementsSubsetter(cursor.filter().elements());
		try (PartFileWriter writer = new PartFileWriter(fileStore, cursor, limits.maxResourcesPerFile(),
				limits.maxFileBytes())) {
			boolean deletions = cursor.filter().deleted();
			for (StoredResource resource : page.resources()) {
				byte[] line = encoder.encode(resource);
				if (deid != null) {
					line = deletions ? deid.deletion(line) : deid.resource(line);
				}
				writer.write(subsetter == null ? line : subsetter.subset(line));
			}
			ExportCursor next = writer.commit().afterPid(page.lastKey());
			return new ExportChunk(next, page.resources().size(), page.more());
		}
	}
}
