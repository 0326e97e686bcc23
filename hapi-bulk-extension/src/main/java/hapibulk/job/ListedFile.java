package hapibulk.job;

/**
 * A file's place in a manifest: its array and resource type (null for files of blocks), and the SHA-256 the
 * manifest gives for it (null where it gives none), which a download is checked against.
 */
public record ListedFile(BulkJobFiles.Kind kind, String type, String sha256) {
	public ListedFile(BulkJobFiles.Kind kind, String type) {
		this(kind, type, null);
	}
}
