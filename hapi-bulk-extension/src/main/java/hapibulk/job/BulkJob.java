package hapibulk.job;

import java.time.Instant;

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
		StatusOptions statusOptions) {

	/** Progress for {@code X-Progress}; under 100 characters as the IG asks. */
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
