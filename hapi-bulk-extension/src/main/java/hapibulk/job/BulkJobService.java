package hapibulk.job;

import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import hapibulk.auth.JobOwner;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.JobFolder;
import hapibulk.storage.StorageSettings;
import hapibulk.support.BulkErrors;
import hapibulk.support.ServiceUnavailableException;
import hapibulk.support.TooManyRequestsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParametersBuilder;
import org.springframework.dao.PessimisticLockingFailureException;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Kick-off, lookup and cancel of bulk jobs: our job row first, then Spring Batch. */
public class BulkJobService {

	private static final Logger LOG = LoggerFactory.getLogger(BulkJobService.class);

	private static final java.util.regex.Pattern JOB_ID_SHAPE = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private final SecureRandom random = new SecureRandom();
	private final BulkJobTable table;
	private final BulkBatchEngine engine;
	private final BulkFileStore fileStore;
	private final BulkJobFiles jobFiles;
	private final Duration retention;
	private final Clock clock;
	private final RecoverySettings recovery;
	private final StorageSettings storage;
	private final Duration retryAfter;
	/**
	 * Runs the job-row reads of status, cancel and download requests, so that a request waits at most
	 * {@code status-timeout} for a database that is away (the host's pool may wait 30 s for a connection).
	 * Bounded: while the database hangs, requests past the queue get 503 at once instead of piling up. The queue
	 * holds a burst of pollers (50 clients polling every 100 ms while an export runs); a thread holds a database
	 * connection only for its one-row read, so a few threads serve thousands of polls a second.
	 */
	private final ThreadPoolExecutor lookups;

	public BulkJobService(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore, BulkJobFiles jobFiles,
			Duration retention, Clock clock) {
		this(table, engine, fileStore, jobFiles, retention, clock, RecoverySettings.defaults(),
				StorageSettings.defaults(), Duration.ofSeconds(2));
	}

	/** @param retryAfter the {@code Retry-After} of a 503 or 429 this service answers */
	public BulkJobService(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore, BulkJobFiles jobFiles,
			Duration retention, Clock clock, RecoverySettings recovery, StorageSettings storage, Duration retryAfter) {
		this.jobFiles = jobFiles;
		this.table = table;
		this.engine = engine;
		this.fileStore = fileStore;
		this.retention = retention;
		this.clock = clock;
		this.recovery = recovery;
		this.storage = storage;
		this.retryAfter = retryAfter;
		this.lookups = new ThreadPoolExecutor(recovery.statusLookupThreads(), recovery.statusLookupThreads(), 30,
				TimeUnit.SECONDS, new ArrayBlockingQueue<>(recovery.statusLookupQueue()), runnable -> {
			Thread thread = new Thread(runnable, "bulk-status-lookup");
			thread.setDaemon(true);
			return thread;
		});
		lookups.allowCoreThreadTimeOut(true);
	}

	/** What a feature hands over to start a job. */
	public record Submission(
			BulkJobKind kind,
			Job job,
			String requestUrl,
			String requestJson,
			JobOwner owner,
			Instant transactionTime,
			JobParametersBuilder parameters,
			StatusOptions statusOptions,
			ActiveLimit limit) {}

	/**
	 * At most {@code max} jobs of the submission's kind queued or running, on all nodes together.
	 *
	 * @param refusal the message of the 429 a kick-off past the limit gets (with its BULK code)
	 */
	public record ActiveLimit(int max, String refusal) {}

	/**
	 * Records the job, if its kind's limit allows (else 429 with the limit's message), and launches it.
	 *
	 * @throws TooManyRequestsException    (429) when {@code limit.max} jobs of the kind are active
	 * @throws ServiceUnavailableException (503) when the job row cannot be written (database away) or disk is short
	 */
	public BulkJob submit(Submission submission) {
		checkRoom(submission.owner().clientId());
		Instant now = clock.instant();
		BulkJob job = new BulkJob(newJobId(), submission.kind(), BulkJobState.ACCEPTED, submission.owner().clientId(),
				submission.requestUrl(), submission.requestJson(), submission.transactionTime(), now,
				now.plus(retention), null, 0, 0, null, null, submission.statusOptions(), null, submission.owner().patient());
		boolean admitted;
		try {
			admitted = new ActiveJobGate(table.jdbc(), table, engine.transactionManager()).admit(job,
					submission.limit().max());
		} catch (RuntimeException e) {
			// A lock wait on the gate row that timed out (many kick-offs at once) is overload: 503, as an outage is.
			if (TransientDatabaseErrors.isTransient(e) || e instanceof PessimisticLockingFailureException) {
				LOG.warn("Could not record a bulk kick-off: the database is unavailable or busy ({})", e.toString());
				throw databaseUnavailable(BulkErrors.code(412));
			}
			throw e;
		}
		if (!admitted) {
			throw new TooManyRequestsException(submission.limit().refusal(), retryAfter.multipliedBy(5));
		}
		try {
			JobExecution execution = engine.launch(submission.job(),
					submission.parameters().addString(BulkJobKeys.BULK_JOB_ID, job.id(), true).toJobParameters());
			table.setExecution(job.id(), execution.getId());
		} catch (Exception e) {
			table.fail(job.id(), "Could not start: " + e.getMessage());
			throw new InternalErrorException(BulkErrors.code(301) + "Could not start the bulk job", e);
		}
		return job;
	}

	/**
	 * The job a status, cancel or file URL names, if a client may still see it.
	 *
	 * @throws ServiceUnavailableException (503) when the database does not answer within {@code status-timeout}
	 */
	public Optional<BulkJob> findVisible(String id) {
		// Ids are hex (newJobId); anything else names no job, and must not reach the database (PostgreSQL
		// refuses a NUL in text with an error, not an empty result).
		if (id == null || !JOB_ID_SHAPE.matcher(id).matches()) {
			return Optional.empty();
		}
		Instant now = clock.instant();
		return lookUp(id).filter(job -> job.state().isVisible())
				.filter(job -> job.state().isActive() || job.expiresAt() == null || job.expiresAt().isAfter(now));
	}

	private Optional<BulkJob> lookUp(String id) {
		try {
			Future<Optional<BulkJob>> lookup = lookups.submit(() -> table.find(id));
			try {
				return lookup.get(recovery.statusTimeout().toMillis(), TimeUnit.MILLISECONDS);
			} finally {
				// A lookup given up on leaves the queue at once, so the queue holds only requests still waiting.
				lookup.cancel(true);
				lookups.remove((Runnable) lookup);
			}
		} catch (ExecutionException e) {
			if (TransientDatabaseErrors.isTransient(e.getCause())) {
				LOG.warn("A bulk job lookup failed: the database is unavailable ({})", e.getCause().toString());
				throw databaseUnavailable(BulkErrors.code(411));
			}
			if (e.getCause() instanceof RuntimeException runtime) {
				throw runtime;
			}
			throw new IllegalStateException(e.getCause());
		} catch (TimeoutException | RejectedExecutionException | InterruptedException e) {
			if (e instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			LOG.warn("A bulk job lookup got no answer within {} ({}): answering 503", recovery.statusTimeout(),
					e.getClass().getSimpleName());
			throw databaseUnavailable(BulkErrors.code(410));
		}
	}

	/** A generic 503: clients retry; the cause (SQL, hosts) goes to the log only. */
	private ServiceUnavailableException databaseUnavailable(String code) {
		return new ServiceUnavailableException(code + "The server's job store is unavailable for a moment; try again in "
				+ Math.max(1, retryAfter.toSeconds()) + " s", retryAfter);
	}

	/**
	 * Refuses a kick-off that cannot fit: the file directory is nearly full (503: it may clear as jobs
	 * expire), or the client already holds its share of files (429: it can DELETE finished jobs).
	 */
	private void checkRoom(String owner) {
		long minFree = storage.minFreeSpace().toBytes();
		OptionalLong free = fileStore.usableSpace();
		if (minFree > 0 && free.isPresent() && free.getAsLong() < minFree) {
			LOG.warn("Refusing a bulk kick-off: {} bytes free in the file directory, under the minimum of {}",
					free.getAsLong(), minFree);
			throw new ServiceUnavailableException(BulkErrors.code(413) + "The server is short of room for bulk files;"
					+ " try again later", retryAfter.multipliedBy(30));
		}
		long cap = storage.maxBytesPerClient().toBytes();
		if (cap <= 0) {
			return;
		}
		long held = 0;
		for (BulkJob job : table.findHoldingFiles(owner)) {
			try {
				held += fileStore.bytesHeld(job.folder());
			} catch (IOException e) {
				LOG.warn("Could not measure the files of bulk job {}: {}", job.id(), e.toString());
			}
		}
		if (held >= cap) {
			throw new TooManyRequestsException(BulkErrors.code(414) + "Your bulk jobs hold " + held + " bytes of files,"
					+ " the most allowed is " + cap + "; delete finished jobs (DELETE their status URL) or wait until they"
					+ " expire", retryAfter.multipliedBy(30));
		}
	}

	/** Deletes the files of finished jobs past their expiry; their URLs answer 404 from then on. */
	public int deleteExpired() {
		List<BulkJob> expired = table.findExpired(clock.instant());
		for (BulkJob job : expired) {
			table.end(job.id(), BulkJobState.DELETED);
			deleteFiles(job);
		}
		return expired.size();
	}

	/**
	 * DELETE on a status URL: a running job is stopped (its files are removed when it has stopped);
	 * a finished job's files are deleted. Either way the status URL answers 404 from now on.
	 */
	public void cancel(BulkJob job) {
		try {
			if (job.state().isActive()) {
				table.end(job.id(), BulkJobState.CANCELLED);
				if (job.executionId() != null) {
					engine.stop(job.executionId());
				}
			} else {
				table.end(job.id(), BulkJobState.DELETED);
			}
		} catch (RuntimeException e) {
			if (TransientDatabaseErrors.isTransient(e)) {
				LOG.warn("Could not cancel bulk job {}: the database is unavailable ({})", job.id(), e.toString());
				throw databaseUnavailable(BulkErrors.code(416));
			}
			throw e;
		}
		deleteFiles(job);
	}

	/**
	 * Page {@code page} of the manifest of a job that allows partial manifests; empty when that page
	 * does not exist yet.
	 */
	public Optional<BulkJobFiles.Page> manifestPage(BulkJob job, int page) {
		return jobFiles.page(job.id(), page, job.state() == BulkJobState.COMPLETED);
	}

	/** Whether a client may download this file of the job now: the manifest, or a page of it, lists it. */
	public boolean listsFile(BulkJob job, String fileName) {
		return listedFile(job, fileName).isPresent();
	}

	/** The manifest entry of a file a client may download now (see {@link #listsFile}): its array and type. */
	public Optional<ListedFile> listedFile(BulkJob job, String fileName) {
		if (fileName == null) {
			return Optional.empty();
		}
		if (job.state() == BulkJobState.COMPLETED) {
			BulkManifest manifest = StoredManifestJson.read(job.manifestJson());
			for (BulkJobFiles.Kind kind : BulkJobFiles.Kind.values()) {
				List<BulkManifest.ManifestFile> files = switch (kind) {
					case OUTPUT -> manifest.output();
					case DELETED -> manifest.deleted();
					case ERROR -> manifest.error();
				};
				Optional<BulkManifest.ManifestFile> found = files.stream().filter(file -> fileName.equals(file.file()))
						.findFirst();
				if (found.isPresent()) {
					return Optional.of(new ListedFile(kind, found.get().type(), found.get().sha256()));
				}
			}
		}
		return job.statusOptions().partialManifests() ? jobFiles.handedOut(job.id(), fileName) : Optional.empty();
	}

	/**
	 * Deletes a job's files and forgets the ones it handed out (expired, cancelled, deleted or failed jobs); the
	 * files are where the job's row says (its tenant's folder, if any).
	 */
	public void deleteFiles(BulkJob job) {
		jobFiles.forget(job.id());
		try {
			for (JobFolder folder : job.folders()) {
				fileStore.deleteAll(folder);
			}
		} catch (IOException e) {
			LOG.warn("Could not delete the files of bulk job {}: {}", job.id(), e.toString());
		}
	}

	private String newJobId() {
		byte[] bytes = new byte[16];
		random.nextBytes(bytes);
		return HexFormat.of().formatHex(bytes);
	}
}
