package hapibulk.job;

import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import hapibulk.storage.BulkFileStore;
import hapibulk.support.BulkErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParametersBuilder;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Kick-off, lookup and cancel of bulk jobs: our job row first, then Spring Batch. */
public class BulkJobService {

	private static final Logger LOG = LoggerFactory.getLogger(BulkJobService.class);

	private final SecureRandom random = new SecureRandom();
	private final BulkJobTable table;
	private final BulkBatchEngine engine;
	private final BulkFileStore fileStore;
	private final BulkJobFiles jobFiles;
	private final Duration retention;
	private final Clock clock;

	public BulkJobService(BulkJobTable table, BulkBatchEngine engine, BulkFileStore fileStore, BulkJobFiles jobFiles,
			Duration retention, Clock clock) {
		this.jobFiles = jobFiles;
		this.table = table;
		this.engine = engine;
		this.fileStore = fileStore;
		this.retention = retention;
		this.clock = clock;
	}

	/** What a feature hands over to start a job. */
	public record Submission(
			BulkJobKind kind,
			Job job,
			String requestUrl,
			String requestJson,
			String owner,
			Instant transactionTime,
			JobParametersBuilder parameters,
			StatusOptions statusOptions) {}

	public BulkJob submit(Submission submission) {
		Instant now = clock.instant();
		BulkJob job = new BulkJob(newJobId(), submission.kind(), BulkJobState.ACCEPTED, submission.owner(),
				submission.requestUrl(), submission.requestJson(), submission.transactionTime(), now,
				now.plus(retention), null, 0, 0, null, null, submission.statusOptions());
		table.insert(job);
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

	/** The job a status, cancel or file URL names, if a client may still see it. */
	public Optional<BulkJob> findVisible(String id) {
		if (id == null || id.isBlank()) {
			return Optional.empty();
		}
		Instant now = clock.instant();
		return table.find(id).filter(job -> job.state().isVisible())
				.filter(job -> job.state().isActive() || job.expiresAt() == null || job.expiresAt().isAfter(now));
	}

	/** Deletes the files of finished jobs past their expiry; their URLs answer 404 from then on. */
	public int deleteExpired() {
		List<BulkJob> expired = table.findExpired(clock.instant());
		for (BulkJob job : expired) {
			table.end(job.id(), BulkJobState.DELETED);
			deleteFiles(job.id());
		}
		return expired.size();
	}

	/**
	 * DELETE on a status URL: a running job is stopped (its files are removed when it has stopped);
	 * a finished job's files are deleted. Either way the status URL answers 404 from now on.
	 */
	public void cancel(BulkJob job) {
		if (job.state().isActive()) {
			table.end(job.id(), BulkJobState.CANCELLED);
			if (job.executionId() != null) {
				engine.stop(job.executionId());
			}
		} else {
			table.end(job.id(), BulkJobState.DELETED);
		}
		deleteFiles(job.id());
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
	public Optional<FileVisibility.Listed> listedFile(BulkJob job, String fileName) {
		if (fileName == null) {
			return Optional.empty();
		}
		if (job.state() == BulkJobState.COMPLETED) {
			BulkManifest manifest = ManifestJson.read(job.manifestJson());
			for (BulkJobFiles.Kind kind : BulkJobFiles.Kind.values()) {
				List<BulkManifest.ManifestFile> files = switch (kind) {
					case OUTPUT -> manifest.output();
					case DELETED -> manifest.deleted();
					case ERROR -> manifest.error();
				};
				Optional<BulkManifest.ManifestFile> found = files.stream().filter(file -> fileName.equals(file.file()))
						.findFirst();
				if (found.isPresent()) {
					return Optional.of(new FileVisibility.Listed(kind, found.get().type()));
				}
			}
		}
		return job.statusOptions().partialManifests() ? jobFiles.handedOut(job.id(), fileName) : Optional.empty();
	}

	void deleteFiles(String jobId) {
		jobFiles.forget(jobId);
		try {
			fileStore.deleteAll(jobId);
		} catch (IOException e) {
			LOG.warn("Could not delete the files of bulk job {}: {}", jobId, e.toString());
		}
	}

	private String newJobId() {
		byte[] bytes = new byte[16];
		random.nextBytes(bytes);
		return HexFormat.of().formatHex(bytes);
	}
}
