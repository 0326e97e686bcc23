package hapibulk.support;

/**
 * Stable error codes for every message a client can see, so that operators can search logs and
 * documentation for them. Codes are never reused: add new ones at the end of a range.
 * <ul>
 * <li>1xx: kick-off requests (headers and parameters)</li>
 * <li>1xx: export kick-off requests (headers and parameters)</li>
 * <li>2xx: status, cancel and download requests (201-209); {@code $import} kick-offs (210-239) and the
 * lines an import reports in its error files (240-299)</li>
 * <li>222-239: {@code $import} security and limits: 222 a nameless parameter, 223/224 the kick-off's
 * rights (no create or update scope on a type, patient scope), 225/226 error lines a line's rights refuse
 * (update, create), 227/228 an input stopped by a limit (error lines, decompressed size), 229 too many
 * inputs, 230 a source URL refused after normalization</li>
 * <li>3xx: job execution (301); authorization from 310: authentication 310/320/321, import scopes 311/312,
 * export scopes 330-334</li>
 * </ul>
 */
public final class BulkErrors {

	private BulkErrors() {}

	/** The prefix of a message: {@code "BULK-0101: "}. */
	public static String code(int code) {
		return String.format("BULK-%04d: ", code);
	}
}
