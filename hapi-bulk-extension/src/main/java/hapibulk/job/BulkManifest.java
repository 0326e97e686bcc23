package hapibulk.job;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a completed job produced, as stored in the job table. File entries carry file names; the
 * status endpoint turns them into absolute download URLs for the base URL the client used.
 *
 * @param deleted files of transaction Bundles with one DELETE entry per resource deleted in the
 *                export's time window (export with {@code _since})
 * @param outputOrganizedBy the resource type whose blocks organise the output files, or null when
 *                each output file holds one type
 * @param deidentification the profile every output resource passed, or null for a plain export
 */
public record BulkManifest(
		Instant transactionTime,
		String request,
		boolean requiresAccessToken,
		List<ManifestFile> output,
		List<ManifestFile> deleted,
		List<ManifestFile> error,
		String outputOrganizedBy,
		Deidentification deidentification) {

	public BulkManifest {
		output = List.copyOf(output);
		deleted = List.copyOf(deleted);
		error = List.copyOf(error);
	}

	/** A manifest of a plain (not de-identified) job. */
	public BulkManifest(Instant transactionTime, String request, boolean requiresAccessToken, List<ManifestFile> output,
			List<ManifestFile> deleted, List<ManifestFile> error, String outputOrganizedBy) {
		this(transactionTime, request, requiresAccessToken, output, deleted, error, outputOrganizedBy, null);
	}

	/**
	 * The de-identification an export's files went through.
	 *
	 * @param profile the profile's name
	 * @param keyId   the id of its keys: two deliveries with the same id have linkable pseudonyms
	 */
	public record Deidentification(String profile, String keyId) {}

	/** Every file entry: output, deleted, then error. */
	public Stream<ManifestFile> files() {
		return Stream.of(output, deleted, error).flatMap(List::stream);
	}

	/**
	 * One file of the manifest.
	 *
	 * @param type   the resource type of every line in the file; null for files of blocks
	 * @param file   the file name within the job
	 * @param count  the number of lines (resources; in files of blocks, headers included)
	 * @param bytes  the file's size, so a client can check its download
	 * @param sha256 the file's SHA-256, hex; null until computed
	 * @param continuesIn the file the last block of this one continues in, or null
	 * @param inputUrl the import input this entry reports on (import manifests), else null; an import's
	 *               output entries have no file
	 */
	public record ManifestFile(String type, String file, long count, long bytes, String sha256, String continuesIn,
			String inputUrl) {

		public ManifestFile(String type, String file, long count, long bytes, String sha256) {
			this(type, file, count, bytes, sha256, null, null);
		}

		public ManifestFile withSha256(String sha256) {
			return new ManifestFile(type, file, count, bytes, sha256, continuesIn, inputUrl);
		}
	}
}
