package hapibulk.job;

import java.time.Instant;
import java.util.List;

/**
 * What a completed job produced, as stored in the job table. File entries carry file names; the
 * status endpoint turns them into absolute download URLs for the base URL the client used.
 */
public record BulkManifest(
		Instant transactionTime,
		String request,
		boolean requiresAccessToken,
		List<ManifestFile> output,
		List<ManifestFile> error) {

	/**
	 * One file of the manifest.
	 *
	 * @param type   the resource type of every line in the file
	 * @param file   the file name within the job
	 * @param count  the number of lines (resources)
	 * @param bytes  the file's size, so a client can check its download
	 */
	public record ManifestFile(String type, String file, long count, long bytes) {}
}
