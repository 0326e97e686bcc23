package hapibulk.support;

/**
 * Stable error codes for every message a client can see, so that operators can search logs and
 * documentation for them. Codes are never reused: add new ones at the end of a range. Every code is
 * registered with its HTTP status, meaning and what to do in {@link BulkErrorRegister} (and so in
 * docs/errors.md), and given out in one place only ({@code BulkErrorRegisterTest}).
 * <ul>
 * <li>1xx: kick-off requests (headers and parameters)</li>
 * <li>1xx: export kick-off requests (headers and parameters)</li>
 * <li>2xx: status, cancel and download requests (201-209); {@code $import} kick-offs (210-239) and the
 * lines an import reports in its error files (240-299)</li>
 * <li>222-239: {@code $import} security and limits: 222 unused (a nameless parameter is 206), 223/224 the kick-off's
 * rights (no create or update scope on a type, patient scope), 225/226 error lines a line's rights refuse
 * (update, create), 227/228 an input stopped by a limit (error lines, decompressed size), 229 too many
 * inputs, 230 a source URL refused after normalization</li>
 * <li>3xx: job execution (301); authorization from 310: authentication 310/320/321, import scopes 311/312
 * (retired), export scopes 330-334</li>
 * <li>127-139 (conformance): 127 any unexpected error of a bulk endpoint (500, with a correlation id),
 * 128-129 a {@code _typeFilter} the server cannot run, 130 a kick-off URL too long for the job table,
 * 131-132 a POST body that is not {@code Parameters} or has a parameter without a name, 133 a single-valued
 * parameter given twice, 134 a {@code _typeFilter} over the length bound, 135 a {@code _type} left with no
 * type, 136 a Patient/Group {@code _type} naming only types outside the compartment, 137 a {@code _since}
 * or {@code _until} that is not an instant, 138 lenient {@code patient} values none of which is usable,
 * 139 an undecodable query string</li>
 * <li>206-209 (conformance): 206 an {@code $import} parameter without a name, 207 a repeated {@code job},
 * {@code file} or {@code page}, 208 a {@code page} that is not a whole number from 1, 209 an {@code $import}
 * URL too long for the job table</li>
 * <li>340-379: authorization hardening: 340 a REST search or conditional URL reaching unreadable types,
 * 341 a {@code _typeFilter} doing so, 342 a Group export without Group read, 343 a download the current
 * token's scopes do not cover; 350-359 the audit trail: 350 a client's write of an AuditEvent, 351 a read without
 * {@code system/bulk-audit}, 352 an export of it without that scope, 353 an import line of it, 354 a write that
 * reached it in storage (conditional or cascading delete, expunge)</li>
 * <li>5xx: start-up and the host: refused while starting 501, HAPI's bulk poll operations 502, partitioned host
 * 503 (501-519); 560-569 the host's FHIR version: 560 a version the extension does not serve (DSTU2, DSTU3);
 * the HAPI release at start-up, logged only: a line not tested on 570, a version HAPI does not report 571 (570-579,
 * docs/compatibility.md)</li>
 * <li>620-649: the administrators' job API ({@code $bulk-jobs}): 620 an unknown parameter, 621 an unknown
 * state, 622 an unknown kind, 623 a bad {@code _count}, 624 a bad {@code page}, 625 no admin scope (403), 626 no
 * such job (404), 627 a repeated parameter, 628 {@code job} with list parameters</li>
 * <li>410-439: reliability: the database away for a status lookup (410 timeout, 411 error), a kick-off (412)
 * or a cancel (416); no room for files (413); a client's file quota (414); a job given up after its retries (415)</li>
 * <li>650-669: several nodes on one database (see docs/cluster.md): start-up settings refused, a node id (650) or
 * a lease duration (651); logged only, a node id another running process registered (652), a lease that expired
 * before its heartbeat (653)</li>
 * <li>700-719: cluster mode (remote partitioning over RabbitMQ, docs/cluster.md), all refusing start-up: a queue name
 * (700) or poll interval (701) out of bounds, the optional cluster libraries missing (702), no RabbitMQ
 * ConnectionFactory bean (703), an export partition size under 1 (704)</li>
 * <li>900-929: de-identified export (docs/deidentification.md): profiles and keys refused at start-up (900-905),
 * kick-offs (910-916), a de-identified export stopped (917-918)</li>
 * <li>930-959: {@code $bulk-submit} (docs/bulk-submit.md): the request (930-934, 943), the registrations (935-937,
 * 945, 947), the provider's manifest (938-941), what is not supported yet (942), the submission's state (944, 946,
 * 948)</li>
 * </ul>
 */
public final class BulkErrors {

	private BulkErrors() {}

	/** The prefix of a message: {@code "BULK-0101: "}. */
	public static String code(int code) {
		return String.format("BULK-%04d: ", code);
	}
}
