package hapibulk.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hapibulk.auth.AccessGrant;
import hapibulk.support.BulkJson;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import hapibulk.job.BulkJob;
import hapibulk.job.BulkJobFiles;
import hapibulk.job.BulkJobKind;
import hapibulk.job.BulkManifest;
import hapibulk.job.ListedFile;

/**
 * Which files of its own job the current token may see. Owning the job is not enough: the client may
 * have been re-authorized with fewer scopes since the kick-off (a token with only
 * {@code system/Observation.read} must not download the job's Patient file). Per entry of an export:
 * an output file of one type needs read access to that type; a file of patient blocks (several
 * types) or of deletions needs read access to every type the export was made of; error files
 * (OperationOutcome, about the job itself) are always visible. An import's entries are what the
 * client itself sent and stay visible.
 */
public final class FileVisibility {

	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final AccessGrant grant;
	private final BulkJob job;
	private Boolean readsEveryJobType;

	public FileVisibility(AccessGrant grant, BulkJob job) {
		this.grant = grant;
		this.job = job;
	}

	public boolean visible(ListedFile file) {
		if (grant.unrestricted() || job.kind() != BulkJobKind.EXPORT || file.kind() == BulkJobFiles.Kind.ERROR) {
			return true;
		}
		if (file.kind() == BulkJobFiles.Kind.OUTPUT && file.type() != null) {
			return grant.mayRead(file.type());
		}
		return readsEveryJobType();
	}

	/** The manifest (or page) with only the entries this token may see. */
	public BulkManifest filter(BulkManifest manifest) {
		return new BulkManifest(manifest.transactionTime(), manifest.request(), manifest.requiresAccessToken(),
				filter(manifest.output(), BulkJobFiles.Kind.OUTPUT), filter(manifest.deleted(), BulkJobFiles.Kind.DELETED),
				manifest.error(), manifest.outputOrganizedBy(), manifest.deidentification());
	}

	private List<BulkManifest.ManifestFile> filter(List<BulkManifest.ManifestFile> files, BulkJobFiles.Kind kind) {
		List<BulkManifest.ManifestFile> visible = new ArrayList<>();
		for (BulkManifest.ManifestFile file : files) {
			if (visible(new ListedFile(kind, file.type()))) {
				visible.add(file);
			}
		}
		return visible;
	}

	/** Whether the token reads every type of the export ({@code types} of its stored request; empty: all types). */
	private boolean readsEveryJobType() {
		if (readsEveryJobType == null) {
			List<String> types = new ArrayList<>();
			try {
				JsonNode node = JSON.readTree(job.requestJson() == null ? "{}" : job.requestJson()).path("types");
				node.forEach(type -> types.add(type.asText()));
			} catch (IOException e) {
				types.clear();
			}
			readsEveryJobType = types.isEmpty() ? grant.scopes().readsAllTypes() : types.stream().allMatch(grant::mayRead);
		}
		return readsEveryJobType;
	}
}
