package hapibulk.imports.job;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.util.MetaUtil;
import hapibulk.auth.ScopeSet;
import hapibulk.auth.InlineMatchUrls;
import hapibulk.imports.ImportSources;
import hapibulk.imports.job.ImportErrorLines.Problem;
import hapibulk.imports.job.NdjsonLineReader.Line;
import hapibulk.job.BulkJobTable;
import hapibulk.storage.BulkFileAppender;
import hapibulk.storage.BulkFileStore;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.StepContribution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.repeat.RepeatStatus;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker of one input. Each call handles one chunk: read up to {@code chunkSize} lines from the
 * committed position, parse and check them, store the good resources through HAPI's DAOs (in
 * slices, at once: {@link SlicedChunkWriter}), then move the cursor (the step's execution context)
 * past the chunk. The error lines are appended to the input's error file and made durable first;
 * the cursor records the error file's length, so a restart truncates whatever an uncommitted chunk
 * appended. A restart after resources were stored but before the cursor moved stores them again,
 * which changes nothing (update-as-create with their own ids), and counts them once; an import whose
 * token may not update reports those lines as refused changes instead (they were stored all the same).
 * Within one run, the lines of slices that committed before another slice failed are only counted.
 * <p>
 * When HAPI refuses a resource, its slice rolls back and the chunk is done again one line per
 * transaction (resource and cursor together), so that only the refused resources become error lines.
 * <p>
 * The step runs under a resourceless transaction manager: the transactions that matter are the ones
 * this class opens on HAPI's transaction manager, around the writes and around the cursor.
 */
class ImportInputTasklet implements Tasklet, StepExecutionListener {

	private static final Logger LOG = LoggerFactory.getLogger(ImportInputTasklet.class);
	/** A chunk ends after this many bytes of lines (or the longest allowed line) even if it has fewer lines. */
	private static final long MIN_CHUNK_BYTES = 16L << 20;

	private final ImportSources sources;
	private final FhirContext fhirContext;
	private final ImportResourceStore store;
	private final SlicedChunkWriter chunkWriter;
	private final BulkFileStore fileStore;
	private final BulkJobTable table;
	private final JobRepository jobRepository;
	private final TransactionTemplate transaction;
	private final int chunkSize;
	private final int maxLineBytes;
	private final long maxErrorLines;
	private final CancelledInputCloser closer;
	private final InlineMatchUrls matchUrls;
	/** The open input of each running partition, by step execution id; closed when the step ends. */
	private final Map<Long, NdjsonLineReader> readers = new ConcurrentHashMap<>();

	ImportInputTasklet(ImportSources sources, FhirContext fhirContext, ImportResourceStore store,
			SlicedChunkWriter chunkWriter, BulkFileStore fileStore, BulkJobTable table, JobRepository jobRepository,
			TransactionTemplate transaction, int chunkSize, int maxLineBytes, long maxErrorLines,
			CancelledInputCloser closer, InlineMatchUrls matchUrls) {
		this.sources = sources;
		this.fhirContext = fhirContext;
		this.store = store;
		this.chunkWriter = chunkWriter;
		this.fileStore = fileStore;
		this.table = table;
		this.jobRepository = jobRepository;
		this.transaction = transaction;
		this.chunkSize = chunkSize;
		this.maxLineBytes = maxLineBytes;
		this.maxErrorLines = Math.max(1, maxErrorLines);
		this.closer = closer;
		this.matchUrls = matchUrls;
	}

	/** A line, parsed: a resource to store, or a problem to report. */
	private record Item(Line line, IBaseResource resource, String resourceId, Problem problem, String detail) {
		Item rejected(String why) {
			return new Item(line, null, resourceId, Problem.REJECTED, why);
		}

		Item refused(boolean stored) {
			return new Item(line, null, resourceId, stored ? Problem.UPDATE_NOT_ALLOWED : Problem.CREATE_NOT_ALLOWED,
					null);
		}

		/** The last error line of an input stopped by a limit, at line {@code number}. */
		static Item stop(long number, long end, Problem why, String detail) {
			return new Item(new Line(number, "", 0, end, end), null, null, why, detail);
		}
	}

	@Override
	public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
		StepExecution step = chunkContext.getStepContext().getStepExecution();
		ImportCursor cursor = ImportCursor.from(step.getExecutionContext());
		if (cursor.stopped()) {
			return RepeatStatus.FINISHED;
		}
		List<Item> items = new ArrayList<>();
		boolean end = false;
		long toLine = cursor.lineNumber();
		long toByte = cursor.byteOffset();
		Item stop = null;
		if (cursor.errors() >= maxErrorLines) {
			// refused writes of the last chunk reached the limit
			stop = Item.stop(toLine, toByte, Problem.TOO_MANY_ERRORS, null);
		} else {
			NdjsonLineReader reader = reader(step, cursor);
			IParser parser = fhirContext.newJsonParser();
			long errors = cursor.errors();
			long bytes = 0;
			try {
				while (items.size() < chunkSize && bytes < Math.max(maxLineBytes, MIN_CHUNK_BYTES)) {
					// a part of a split input ends before the first line that starts in the next part
					Line line = reader.offset() >= cursor.partition().rangeEnd() ? null : reader.next();
					if (line == null) {
						end = true;
						break;
					}
					bytes += line.bytes();
					if (!line.blank()) {
						Item item = parse(parser, cursor.partition(), line);
						items.add(item);
						if (item.problem() != null && ++errors >= maxErrorLines) {
							stop = Item.stop(line.number(), line.end(), Problem.TOO_MANY_ERRORS, null);
							break;
						}
					}
				}
			} catch (ImportSources.InputTooLargeException e) {
				stop = Item.stop(reader.lineNumber() + 1, reader.offset(), Problem.TOO_LARGE, e.getMessage());
			}
			toLine = reader.lineNumber();
			toByte = reader.offset();
		}
		if (stop != null) {
			items.add(stop);
		}
		if (toLine > cursor.lineNumber() || stop != null) {
			ImportCursor next;
			try {
				next = storeChunk(step, cursor, items, toLine, toByte, stop != null);
			} catch (PartlyWrittenException e) {
				Set<IBaseResource> written = Collections.newSetFromMap(new IdentityHashMap<>());
				written.addAll(e.written());
				next = storeOneByOne(step, cursor, items, toLine, toByte, stop != null, written);
			}
			contribution.incrementWriteCount(Math.toIntExact(next.stored() - cursor.stored()));
		}
		if (end || stop != null) {
			// Its lines are all counted now: the type's total may become known (see BulkJobProgress).
			transaction.executeWithoutResult(status -> table.inputRead(cursor.jobId(), cursor.partition().type()));
			return RepeatStatus.FINISHED;
		}
		return RepeatStatus.CONTINUABLE;
	}

	private Item parse(IParser parser, ImportPartition partition, Line line) {
		if (line.tooLong()) {
			return new Item(line, null, null, Problem.TOO_LONG, line.bytes() + " bytes");
		}
		IBaseResource resource;
		try {
			resource = parser.parseResource(line.text());
		} catch (DataFormatException | ClassCastException e) {
			return new Item(line, null, null, Problem.MALFORMED, e.getMessage());
		}
		String id = resource.getIdElement().getIdPart();
		String reference = id == null ? null : resource.fhirType() + "/" + id;
		if (!partition.type().equals(resource.fhirType())) {
			return new Item(line, null, reference, Problem.WRONG_TYPE,
					"a " + resource.fhirType() + " in an input of " + partition.type());
		}
		if (resource.fhirType().equals(ScopeSet.AUDIT_TYPE)) {
			return new Item(line, null, reference, Problem.AUDIT_TRAIL, null);
		}
		if (id == null || id.isBlank()) {
			return new Item(line, null, null, Problem.NO_ID, "ids are kept, so every resource needs one");
		}
		// HAPI resolves match URLs as it stores the line, searching as the system: only what the token may read.
		Set<String> readable = partition.rights().readable();
		// A match URL needs a '?' in the line (or a JSON unicode escape that may spell one): most lines have
		// neither and skip the walk over every reference.
		boolean mayHoldMatchUrl = line.text().indexOf('?') >= 0 || line.text().contains("\\u");
		Set<String> unreadable = readable == null || !mayHoldMatchUrl ? Set.of()
				: matchUrls.unreadable(resource, readable);
		if (!unreadable.isEmpty()) {
			return new Item(line, null, reference, Problem.MATCH_URL_NOT_READABLE,
					String.join(", ", matchUrls.in(resource)) + " search " + String.join(", ", unreadable));
		}
		// The id without a version: the version is the server's to assign.
		resource.setId(resource.getIdElement().toUnqualifiedVersionless());
		if (partition.inputSource() != null) {
			MetaUtil.setSource(fhirContext, resource, partition.inputSource());
		}
		return new Item(line, resource, reference, null, null);
	}

	/**
	 * The whole chunk (in slices written at once), then the cursor; {@link PartlyWrittenException} when
	 * HAPI refused some of it (then the cursor stays, and the caller goes on line by line).
	 */
	private ImportCursor storeChunk(StepExecution step, ImportCursor cursor, List<Item> items, long toLine,
			long toByte, boolean stopping) throws IOException {
		List<IBaseResource> resources = items.stream().filter(item -> item.problem() == null).map(Item::resource).toList();
		// a stop line stays the input's last error line
		Item stop = stopping ? items.get(items.size() - 1) : null;
		List<Item> errors = new ArrayList<>(items.stream().filter(item -> item.problem() != null && item != stop)
				.toList());
		long errorBytes = appendErrors(cursor, errors);
		List<ImportResourceStore.Refusal> refusals;
		try {
			refusals = chunkWriter.write(resources, cursor.partition().rights());
		} catch (PartlyWrittenException e) {
			LOG.debug("A chunk of {} was refused ({}); storing its lines one by one", cursor.partition().url(),
					e.getCause().toString());
			throw e;
		}
		// the lines the token's rights did not allow, then the stop line: appended before the cursor moves
		Map<IBaseResource, Boolean> refused = new IdentityHashMap<>();
		refusals.forEach(refusal -> refused.put(refusal.resource(), refusal.stored()));
		List<Item> trailing = new ArrayList<>(items.stream().filter(item -> refused.containsKey(item.resource()))
				.map(item -> item.refused(refused.get(item.resource()))).toList());
		if (stop != null) {
			trailing.add(stop);
		}
		if (!trailing.isEmpty()) {
			errorBytes = appendErrors(cursor.advance(cursor.lineNumber(), cursor.byteOffset(), 0, 0, errorBytes),
					trailing);
			errors.addAll(trailing);
		}
		ImportCursor next = cursor.advance(toLine, toByte, resources.size() - refusals.size(), errors.size(),
				errorBytes);
		if (stopping) {
			next = next.asStopped();
		}
		commit(step, cursor, next, items.size(), () -> {});
		return next;
	}

	/**
	 * After a refused chunk: each line in its own transaction, so the refused ones can be told apart;
	 * the lines of the slices that committed ({@code written}) are only counted.
	 */
	private ImportCursor storeOneByOne(StepExecution step, ImportCursor cursor, List<Item> items, long toLine,
			long toByte, boolean stopping, Set<IBaseResource> written) throws IOException {
		ImportCursor current = cursor;
		for (int i = 0; i < items.size(); i++) {
			Item item = items.get(i);
			boolean last = i == items.size() - 1;
			long lineEnd = last ? toLine : item.line().number();
			long byteEnd = last ? toByte : item.line().end();
			if (item.problem() == null) {
				ImportCursor stored = current.advance(lineEnd, byteEnd, 1, 0, current.errorBytes());
				List<IBaseResource> one = written.contains(item.resource()) ? List.of() : List.of(item.resource());
				WriteRights rights = cursor.partition().rights();
				try {
					commit(step, current, stored, 1, () -> {
						if (!store.store(one, rights).isEmpty()) {
							throw new RefusedWriteException("not allowed", !rights.update());
						}
					});
					current = stored;
					continue;
				} catch (RefusedWriteException e) {
					item = item.refused(e.stored());
				} catch (RuntimeException e) {
					// No multi-catch: from HAPI 8.10 on DataFormatException is a BaseServerResponseException (a 400).
					boolean lineRefused = e instanceof DataFormatException
							|| e instanceof BaseServerResponseException response && response.getStatusCode() < 500;
					if (!lineRefused) {
						throw e;
					}
					item = item.rejected(e.getMessage());
				}
			}
			ImportCursor reported = current.advance(lineEnd, byteEnd, 0, 1, appendErrors(current, List.of(item)));
			if (last && stopping) {
				reported = reported.asStopped();
			}
			commit(step, current, reported, 1, () -> {});
			current = reported;
		}
		if (items.isEmpty()) {
			ImportCursor skipped = current.advance(toLine, toByte, 0, 0, current.errorBytes());
			commit(step, current, skipped, 0, () -> {});
			current = skipped;
		}
		return current;
	}

	/** Runs the writes and records the cursor in one transaction; on failure the context keeps the old cursor. */
	private void commit(StepExecution step, ImportCursor from, ImportCursor to, int lines, Runnable writes) {
		try {
			transaction.executeWithoutResult(status -> {
				writes.run();
				to.writeTo(step.getExecutionContext());
				jobRepository.updateExecutionContext(step);
				table.addProgress(to.jobId(), to.partition().type(), lines);
			});
		} catch (RuntimeException e) {
			from.writeTo(step.getExecutionContext());
			throw e;
		}
	}

	/** Appends the error lines after the committed length and makes them durable; returns the new length. */
	private long appendErrors(ImportCursor cursor, List<Item> errors) throws IOException {
		if (errors.isEmpty()) {
			return cursor.errorBytes();
		}
		ImportPartition partition = cursor.partition();
		try (BulkFileAppender appender = fileStore.openAppender(cursor.folder(), partition.errorFileName(),
				cursor.errorBytes())) {
			for (Item item : errors) {
				byte[] line = ImportErrorLines.line(partition, item.line().number(), item.line().start(),
						item.resourceId(), item.problem(),
						item.detail());
				appender.append(line, 0, line.length);
			}
			return appender.commit();
		}
	}

	private NdjsonLineReader reader(StepExecution step, ImportCursor cursor) throws IOException {
		NdjsonLineReader reader = readers.get(step.getId());
		if (reader != null && (reader.lineNumber() != cursor.lineNumber() || reader.offset() != cursor.byteOffset())) {
			close(reader);
			reader = null;
		}
		if (reader == null) {
			reader = open(cursor);
			readers.put(step.getId(), reader);
		}
		return reader;
	}

	/**
	 * A whole input from its start, skipping the lines already handled; a part of a split input from its saved
	 * position, or, the first time, from the first line that starts in its range.
	 */
	private NdjsonLineReader open(ImportCursor cursor) throws IOException {
		ImportPartition partition = cursor.partition();
		if (!partition.isPart()) {
			ImportSources.Input input = sources.open(partition.url(), partition.sourceAccess());
			closer.watch(cursor.jobId(), input);
			return new NdjsonLineReader(input, maxLineBytes, cursor.lineNumber(), cursor.byteOffset());
		}
		boolean fresh = cursor.lineNumber() == 0 && cursor.byteOffset() < partition.rangeStart();
		if (!fresh || partition.rangeStart() == 0) {
			long from = Math.max(cursor.byteOffset(), partition.rangeStart());
			ImportSources.Input input = sources.openAt(partition.url(), from);
			closer.watch(cursor.jobId(), input);
			return new NdjsonLineReader(input, maxLineBytes, cursor.lineNumber(), from, true);
		}
		ImportSources.Input input = sources.openAt(partition.url(), partition.rangeStart() - 1);
		closer.watch(cursor.jobId(), input);
		long lineStart = NdjsonLineReader.skipToLineStart(input, partition.rangeStart());
		return new NdjsonLineReader(input, maxLineBytes, 0, lineStart, true);
	}

	@Override
	public ExitStatus afterStep(StepExecution step) {
		NdjsonLineReader reader = readers.remove(step.getId());
		if (reader != null) {
			close(reader);
		}
		return null;
	}

	private void close(NdjsonLineReader reader) {
		closer.forget(reader.input());
		try {
			reader.close();
		} catch (IOException e) {
			LOG.debug("Closing an import input failed: {}", e.toString());
		}
	}
}
