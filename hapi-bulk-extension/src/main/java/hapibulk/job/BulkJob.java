package hapibulk.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.auth.JobOwner;
import hapibulk.storage.JobFolder;
import hapibulk.support.BulkJson;
import hapibulk.tenant.Tenant;

import java.time.Instant;
import java.util.List;

/**
 * One row of our job table: the public face of a bulk job. Status polls read only this, never
 * Spring Batch's tables.
 *
 * @param id             the public, unguessable id used in status and file URLs
 * @param owner          the client that kicked it off (null when authorization is off)
 * @param requestUrl     the kick-off URL, reported as {@code request} in the manifest
 * @param requestJson    the validated request, as the feature serialised it
 * @param executionId    the current Spring Batch job execution (changes when a job is restarted)
 * @param manifestJson   the stored manifest once the job completed, file names relative
 * @param statusOptions  how the status URL answers, as the kick-off asked
 * @param startedAt      when its first execution started (null while queued; set by the job, never inserted)
 * @param ownerPatient   the patient context of the kick-off's token (null: none); part of who owns the job
 */
public record BulkJob(
		String id,
		BulkJobKind kind,
		BulkJobState state,
		String owner,
		String requestUrl,
		String requestJson,
		Instant transactionTime,
		Instant createdAt,
		Instant expiresAt,
		Long executionId,
		long progressDone,
		long progressTotal,
		String manifestJson,
		String errorMessage,
		StatusOptions statusOptions,
		Instant startedAt,
		String ownerPatient) {

	/** A job not started yet (a new row). */
	public BulkJob(String id, BulkJobKind kind, BulkJobState state, String owner, String requestUrl, String requestJson,
			Instant transactionTime, Instant createdAt, Instant expiresAt, Long executionId, long progressDone,
			long progressTotal, String manifestJson, String errorMessage, StatusOptions statusOptions) {
		this(id, kind, state, owner, requestUrl, requestJson, transactionTime, createdAt, expiresAt, executionId,
				progressDone, progressTotal, manifestJson, errorMessage, statusOptions, null, null);
	}

	/** A job of a client without a patient context, with when it started. */
	public BulkJob(String id, BulkJobKind kind, BulkJobState state, String owner, String requestUrl, String requestJson,
			Instant transactionTime, Instant createdAt, Instant expiresAt, Long executionId, long progressDone,
			long progressTotal, String manifestJson, String errorMessage, StatusOptions statusOptions, Instant startedAt) {
		this(id, kind, state, owner, requestUrl, requestJson, transactionTime, createdAt, expiresAt, executionId,
				progressDone, progressTotal, manifestJson, errorMessage, statusOptions, startedAt, null);
	}

	/** Whom the job belongs to: only a request of this owner sees it (see BulkAuthorization#mayAccessJob). */
	public JobOwner ownedBy() {
		return new JobOwner(owner, ownerPatient);
	}

	/**
	 * The tenant the job belongs to: the {@code tenant} of its request record (export and import keep it under that
	 * name), or null when it has none (an unpartitioned host, or a row from before tenants).
	 */
	public Tenant tenant() {
		if (requestJson == null || !requestJson.contains("\"tenant\"")) {
			return null;
		}
		try {
			JsonNode node = BulkJson.MAPPER.readTree(requestJson).get("tenant");
			return node == null || node.isNull() ? null : BulkJson.MAPPER.treeToValue(node, Tenant.class);
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable request of job " + id, e);
		}
	}

	/** Where the job's files are stored: by its id, under its tenant's folder when it has a tenant. */
	public JobFolder folder() {
		return JobFolder.of(id, tenant());
	}

	/**
	 * Every folder the job's files may lie in: its folder, and for a job of a tenant also {@code <jobId>} directly,
	 * where the version before tenants' folders (2026-12-07) kept them, so that its files are still served and
	 * deleted after an upgrade.
	 */
	public List<JobFolder> folders() {
		JobFolder folder = folder();
		return folder.tenant() == null ? List.of(folder) : List.of(folder, JobFolder.of(id));
	}

	/** Progress for {@code X-Progress}, with an estimate of the time left once 5% is done; under 100 characters. */
	public String progressText(Instant now) {
		String text = progressText();
		if (state != BulkJobState.RUNNING || startedAt == null || progressTotal <= 0 || progressDone >= progressTotal
				|| progressDone * 20 < progressTotal) {
			return text;
		}
		long elapsedMillis = Math.max(0, now.toEpochMilli() - startedAt.toEpochMilli());
		long secondsLeft = Math.round(elapsedMillis / 1000.0 * (progressTotal - progressDone) / progressDone);
		return text + ", about " + (secondsLeft < 120 ? secondsLeft + " s" : (secondsLeft + 30) / 60 + " min") + " left";
	}

	/** Progress for {@code X-Progress}, from counts only (an import's lines are unknown until read). */
	public String progressText() {
		if (kind == BulkJobKind.IMPORT && state == BulkJobState.RUNNING) {
			// An import's total is not known before its files are read.
			return progressDone + " lines processed";
		}
		if (state == BulkJobState.ACCEPTED || progressTotal <= 0) {
			return state == BulkJobState.ACCEPTED ? "Queued" : "Started";
		}
		long percent = Math.min(100, progressDone * 100 / progressTotal);
		return percent + "% (" + progressDone + " of " + progressTotal + " resources)";
	}
}
