package hapibulk.support;

/**
 * Stable error codes for every message a client can see, so that operators can search logs and
 * documentation for them. Codes are never reused: add new ones at the end of a range.
 * <ul>
 * <li>1xx: kick-off requests (headers and parameters)</li>
 * <li>1xx: export kick-off requests (headers and parameters)</li>
 * <li>2xx: status, cancel and download requests (201-209); {@code $import} kick-offs (210-239) and the
 * lines an import reports in its error files (240-299)</li>
 * <li>3xx: job execution (301); authorization from 310: authentication 310/320/321, import scopes 311/312,
 * export scopes 330-334</li>
 * <li>410-439: reliability: the database away for a status lookup (410 timeout, 411 error), a kick-off (412)
 * or a cancel (416); no room for files (413); a client's file quota (414); a job given up after its retries (415)</li>
 * </ul>
 */
public final class BulkErrors {

	private BulkErrors() {}

	/** The prefix of a message: {@code "BULK-0101: "}. */
	public static String code(int code) {
		return String.format("BULK-%04d: ", code);
	}
}
