package hapibulk.status;

import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import hapibulk.audit.AuditAction;
import hapibulk.audit.AuditRecord;
import hapibulk.audit.BulkAudit;
import hapibulk.auth.BulkAuthorization;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobService;
import hapibulk.job.ListedFile;
import hapibulk.storage.BulkFileStore;
import hapibulk.storage.DigestCheckedInputStream;
import hapibulk.support.BulkErrors;
import hapibulk.tenant.Tenant;
import hapibulk.tenant.Tenants;
import hapibulk.support.OperationOutcomes;
import jakarta.servlet.http.HttpServletResponse;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Serves the files of completed jobs: {@code GET [base]/$bulk-file?job=ID&file=NAME}. Only files
 * that the job's manifest lists are served, so no other name can reach the file store. A file the manifest gives a
 * SHA-256 for is checked against it as it is sent, and the last byte goes out only once it matches: a file changed
 * or damaged in the store since the manifest (or whose resumed part was) ends as an incomplete download, never as
 * a complete one with other content (BULK-0680).
 */
public class BulkFileProvider {

	public static final String OPERATION = "$bulk-file";
	private static final Logger LOG = LoggerFactory.getLogger(BulkFileProvider.class);
	private static final String NDJSON = "application/fhir+ndjson";

	private final BulkJobService jobService;
	private final BulkFileStore fileStore;
	private final BulkAuthorization authorization;
	private final BulkAudit audit;
	private final Tenants tenants;

	public BulkFileProvider(BulkJobService jobService, BulkFileStore fileStore, BulkAuthorization authorization,
			BulkAudit audit) {
		this(jobService, fileStore, authorization, audit, Tenants.none());
	}

	/** @param tenants which tenant a request is in: another tenant's files are answered like unknown ones */
	public BulkFileProvider(BulkJobService jobService, BulkFileStore fileStore, BulkAuthorization authorization,
			BulkAudit audit, Tenants tenants) {
		this.tenants = tenants;
		this.jobService = jobService;
		this.fileStore = fileStore;
		this.authorization = authorization;
		this.audit = audit;
	}

	@Operation(name = OPERATION, manualResponse = true, idempotent = true)
	public void file(
			@OperationParam(name = "job", typeName = "string", min = 1, max = 1) IPrimitiveType<String> jobId,
			@OperationParam(name = "file", typeName = "string", min = 1, max = 1) IPrimitiveType<String> fileName,
			ServletRequestDetails request) throws IOException {
		BulkRequestParameters.requireSingle(request, "job", "file");
		String name = fileName == null ? null : fileName.getValueAsString();
		Tenant tenant = tenants.ofRequest(request, OPERATION);
		Optional<BulkJob> owned = jobService.findVisible(jobId == null ? null : jobId.getValueAsString())
				.filter(job -> tenants.mayAccess(tenant, job.tenant()))
				.filter(job -> authorization.mayAccessJob(request, job.ownedBy()));
		Optional<ListedFile> listed = owned.flatMap(job -> jobService.listedFile(job, name));
		Optional<BulkJob> listing = listed.isPresent() ? owned : Optional.empty();
		Optional<BulkFileStore.StoredFile> file = listing.flatMap(job -> job.folders().stream()
				.map(folder -> fileStore.find(folder, name)).flatMap(Optional::stream).findFirst());
		if (file.isEmpty()) {
			OperationOutcomes.write(request, 404, "error", "not-found",
					BulkErrors.code(203) + "No such bulk file: the job is unknown, unfinished, deleted or expired");
			return;
		}
		// The job's own client, but its token now may not read what the file holds (scopes narrowed since).
		if (!new FileVisibility(authorization.grant(request), listing.get()).visible(listed.get())) {
			throw BulkAuthorization.forbidden(343, "The access token's scopes do not let it read the "
					+ (listed.get().type() == null ? "resources" : listed.get().type() + " resources") + " in this file");
		}
		audit.record(AuditRecord.of(AuditAction.FILE_DOWNLOADED, listing.get().owner(), request, OPERATION, true,
				java.util.Map.of("job", listing.get().id(), "file", name, "bytes", Long.toString(file.get().length()))));
		HttpServletResponse response = request.getServletResponse();
		response.setStatus(200);
		response.setContentType(NDJSON);
		boolean gzip = acceptsGzip(request.getHeader("Accept-Encoding"));
		if (gzip) {
			response.setHeader("Content-Encoding", "gzip");
		} else {
			response.setContentLengthLong(file.get().length());
		}
		response.setHeader("Vary", "Accept-Encoding");
		String expected = listed.get().sha256();
		InputStream in = file.get().open();
		if (expected != null) {
			in = new DigestCheckedInputStream(in, expected, "File " + name + " of job " + listing.get().id());
		}
		OutputStream out = gzip ? new GZIPOutputStream(response.getOutputStream(), 1 << 16) : response.getOutputStream();
		try (InputStream from = in) {
			from.transferTo(out);
		} catch (IOException failed) {
			// A file that changed in the store (BULK-0680), does not decrypt (BULK-0674) or is cut short (BULK-0676),
			// or a client that went away.
			boolean changed = failed instanceof DigestCheckedInputStream.Mismatch;
			if (changed) {
				LOG.error("{}", failed.getMessage());
			} else {
				LOG.warn("Download of file {} of job {} stopped: {}", name, listing.get().id(), failed.toString());
			}
			if (!response.isCommitted()) {
				response.reset();
				if (!changed) {
					throw failed;
				}
				OperationOutcomes.write(request, 500, "error", "exception", failed.getMessage());
			}
			// Sent in part: end without the last byte (and without a gzip trailer), and without HAPI's error answer,
			// whose first bytes would otherwise complete the declared length: the client sees a download cut short.
			return;
		}
		out.close();
	}

	static boolean acceptsGzip(String acceptEncoding) {
		if (acceptEncoding == null) {
			return false;
		}
		for (String part : acceptEncoding.split(",")) {
			String[] codingAndParams = part.trim().split(";", -1);
			if (codingAndParams[0].trim().equalsIgnoreCase("gzip")) {
				return codingAndParams.length < 2 || !codingAndParams[1].replace(" ", "").equals("q=0");
			}
		}
		return false;
	}
}
