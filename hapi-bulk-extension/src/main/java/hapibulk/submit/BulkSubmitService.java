package hapibulk.submit;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.JobOwner;
import hapibulk.imports.ImportJobService;
import hapibulk.imports.ImportPermissions;
import hapibulk.imports.ImportRequest;
import hapibulk.imports.SourceUrls;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobState;
import hapibulk.job.BulkJobTable;
import hapibulk.support.BulkErrors;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code $bulk-submit} behind its provider: checks the submission against the registrations, reads the manifest,
 * and hands its files to the import job, read under the submitter's grant ({@link Submitters}). A manifest already
 * submitted is not loaded again, nor twice by concurrent requests ({@link SubmissionTable#claim}).
 */
public class BulkSubmitService {

	private final Submitters submitters;
	private final ManifestReader manifests;
	private final SubmissionTable table;
	private final ImportJobService importJobService;
	private final BulkJobTable jobs;

	BulkSubmitService(Submitters submitters, ManifestReader manifests, SubmissionTable table,
			ImportJobService importJobService, BulkJobTable jobs) {
		this.submitters = submitters;
		this.manifests = manifests;
		this.table = table;
		this.importJobService = importJobService;
		this.jobs = jobs;
	}

	/** What a submission call did: the import job it started, or null (a status change, a manifest seen before). */
	public record Outcome(String jobId, String message) {}

	public Outcome submit(SubmitRequest request, AccessGrant grant, JobOwner owner, String requestUrl) {
		SubmitSettings.Submitter submitter = submitters.find(request.submitterSystem(), request.submitterValue())
				.orElseThrow(() -> new ForbiddenOperationException(BulkErrors.code(935) + "Submitter "
						+ request.submitterKey() + " is not registered on this server (hapi.bulk.submit.submitters)"));
		if (SubmitRequest.STOPPED.equals(request.status()) || request.replacesManifestUrl() != null) {
			throw notYet("This server does not support "
					+ (request.replacesManifestUrl() != null ? "replacesManifestUrl" : "submissionStatus 'stopped'")
					+ " yet: loaded data is not removed or replaced");
		}
		SubmissionTable.Submission existing = table.find(submitter.key(), request.submissionId()).orElse(null);
		if (existing != null && !Objects.equals(existing.owner(), owner.clientId())) {
			throw new ForbiddenOperationException(BulkErrors.code(947) + "Submission " + request.submissionId()
					+ " of " + request.submitterKey() + " was made by another client");
		}
		if (existing != null && !SubmitRequest.IN_PROGRESS.equals(existing.status())) {
			throw new ResourceVersionConflictException(BulkErrors.code(946) + "Submission " + request.submissionId()
					+ " is " + existing.status() + ": it takes no more manifests or status changes");
		}
		String jobId = null;
		String message;
		if (request.manifestUrl() != null) {
			String base = registeredBase(submitter, request.fhirBaseUrl());
			checkUnder(base, request.manifestUrl(), "manifestUrl");
			if (request.oauthMetadataUrl() != null) {
				checkUnder(base, request.oauthMetadataUrl(), "oauthMetadataUrl");
			}
			Optional<BulkJob> earlier = existing == null ? Optional.empty()
					: latestJob(submitter.key(), request.submissionId(), request.manifestUrl());
			String afterJobId = earlier.map(BulkJob::id).orElse(null);
			if (earlier.isPresent() && !gaveUp(earlier.get())) {
				message = "Manifest " + request.manifestUrl() + " was submitted before; it is not loaded again";
			} else if (!table.claim(submitter.key(), request.submissionId(), request.manifestUrl(), afterJobId)) {
				message = "Manifest " + request.manifestUrl() + " is being loaded for another request of this"
						+ " submission; it is not loaded again";
			} else {
				// New, or its import failed (the provider went away): load it (again). Stored lines are not
				// written twice: an update with the stored content makes no new version.
				try {
					jobId = load(submitter, base, request, grant, owner, requestUrl);
				} finally {
					if (jobId == null) {
						table.release(submitter.key(), request.submissionId(), request.manifestUrl(), afterJobId);
					}
				}
				message = jobId == null ? "Manifest " + request.manifestUrl() + " lists no files"
						: "Manifest " + request.manifestUrl() + " accepted: loading" + (earlier.isPresent() ? " again" : "");
			}
		} else {
			message = "Submission status recorded";
		}
		table.findOrCreate(submitter.key(), request.submissionId(), SubmitRequest.IN_PROGRESS, owner.clientId());
		if (jobId != null) {
			table.addManifest(submitter.key(), request.submissionId(), request.manifestUrl(), jobId);
		}
		if (SubmitRequest.COMPLETED.equals(request.status())) {
			table.setStatus(submitter.key(), request.submissionId(), SubmitRequest.COMPLETED);
		}
		return new Outcome(jobId, message);
	}

	/** The import job of the manifest's last submission in this submission, if any. */
	private Optional<BulkJob> latestJob(String submitter, String submissionId, String manifestUrl) {
		List<SubmissionTable.Manifest> rows = table.manifests(submitter, submissionId).stream()
				.filter(manifest -> manifest.manifestUrl().equals(manifestUrl)).toList();
		return rows.isEmpty() ? Optional.empty() : jobs.find(rows.get(rows.size() - 1).jobId());
	}

	private static boolean gaveUp(BulkJob job) {
		return job.state() == BulkJobState.FAILED || job.state() == BulkJobState.CANCELLED;
	}

	private String load(SubmitSettings.Submitter submitter, String base, SubmitRequest request, AccessGrant grant,
			JobOwner owner, String requestUrl) {
		ManifestReader.ProviderManifest manifest = manifests.read(submitter, base, request.manifestUrl());
		if (manifest.deletedFiles() > 0) {
			throw notYet("The manifest lists deleted resources; this server does not apply deletions from a submission"
					+ " yet");
		}
		if (manifest.outputs().isEmpty()) {
			return null;
		}
		ImportRequest importRequest = new ImportRequest(base, "https", null, manifest.outputs(), requestUrl)
				.withSourceAccess(Submitters.grant(submitter, manifest.requiresAccessToken()));
		importRequest = importRequest.withPermissions(ImportPermissions.of(grant,
				importRequest.inputs().stream().map(ImportRequest.Input::type).distinct().toList()));
		BulkJob job = importJobService.submitAs(importRequest, owner);
		return job.id();
	}

	/** The registered base URL the submission's {@code fhirBaseUrl} is (or lies under); 403 if none. */
	private static String registeredBase(SubmitSettings.Submitter submitter, String fhirBaseUrl) {
		URI base = null;
		try {
			base = SourceUrls.normalize(fhirBaseUrl);
		} catch (RuntimeException e) {
			// refused below, as a 400
		}
		if (base == null || Submitters.baseHolding(submitter, base).isEmpty()) {
			String message = BulkErrors.code(936) + "fhirBaseUrl " + fhirBaseUrl + (base == null
					? " is not an http(s) URL" : " is not a base URL registered for submitter " + submitter.key());
			throw base == null ? new InvalidRequestException(message) : new ForbiddenOperationException(message);
		}
		return base.toString();
	}

	/** BULK-0937: the manifest (or the discovery document) must lie under the submission's base. */
	private static void checkUnder(String base, String url, String what) {
		URI normalized = null;
		try {
			normalized = SourceUrls.normalize(url);
		} catch (RuntimeException e) {
			// refused below, as a 400
		}
		if (normalized == null || !SourceUrls.under(normalized, base)) {
			String message = BulkErrors.code(937) + what + " " + url + (normalized == null ? " is not an http(s) URL"
					: " is not under the submission's fhirBaseUrl " + base);
			throw normalized == null ? new InvalidRequestException(message) : new ForbiddenOperationException(message);
		}
	}

	/** BULK-0942: what a submission asks that this server does not do yet. */
	private static InvalidRequestException notYet(String message) {
		return new InvalidRequestException(BulkErrors.code(942) + message);
	}
}
