package hapibulk.export.job;

import hapibulk.job.BulkJobTable;
import hapibulk.storage.BulkFileStore;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.repeat.RepeatStatus;

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

	ExportTypeTasklet(StoredResourceReader reader, BulkFileStore fileStore, BulkJobTable table, ExportLimits limits) {
		this.reader = reader;
		this.fileStore = fileStore;
		this.table = table;
		this.limits = limits;
		this.blockExporter = new PatientBlockExporter(reader, fileStore, limits);
	}

	/** Page and file sizes, from the {@code hapi.bulk.export.*} settings. */
	record ExportLimits(int pageSize, long pageBytes, long maxResourcesPerFile, long maxFileBytes) {}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		ExecutionContext context = chunkContext.getStepContext().getStepExecution().getExecutionContext();
		ExportCursor cursor = ExportCursor.from(context);
		if (PatientBlockExporter.isBlockPartition(context)) {
			PatientBlockExporter.Chunk chunk = blockExporter.exportChunk(context, cursor);
			chunk.cursor().writeTo(context);
			table.addProgress(cursor.jobId(), chunk.resources());
			contribution.incrementWriteCount(chunk.resources());
			return RepeatStatus.continueIf(chunk.more());
		}
		StoredResourceReader.Page page = reader.readPage(cursor.filter(), cursor.lastPid(), limits.pageSize(),
				limits.pageBytes());
		if (page.resources().isEmpty()) {
			return RepeatStatus.FINISHED;
		}
		NdjsonResourceEncoder encoder = new NdjsonResourceEncoder();
		ElementsSubsetter subsetter = cursor.filter().elements().isEmpty() ? null
				: new ElementsSubsetter(cursor.filter().elements());
		ExportCursor next;
		try (PartFileWriter writer = new PartFileWriter(fileStore, cursor, limits.maxResourcesPerFile(),
				limits.maxFileBytes())) {
			for (StoredResource resource : page.resources()) {
				byte[] line = encoder.encode(resource);
				writer.write(subsetter == null ? line : subsetter.subset(line));
			}
			next = writer.commit().afterPid(page.resources().get(page.resources().size() - 1).pid());
		}
		next.writeTo(context);
		int written = page.resources().size();
		table.addProgress(cursor.jobId(), written);
		contribution.incrementWriteCount(written);
		return RepeatStatus.continueIf(page.more());
	}
}
