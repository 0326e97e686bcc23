package hapibulk.support;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every error code the extension has ever given out ({@link BulkErrors#code(int)}), with the HTTP status it
 * comes with, what it means and what the user should do. Codes are never reused: a code no longer given out
 * stays here, marked retired. {@code BulkErrorRegisterTest} holds the call sites, this register and
 * docs/errors.md to one another: each code in use is registered and given out in exactly one place of the
 * sources, and the documentation's table says what this register says.
 */
public final class BulkErrorRegister {

	/** Not an HTTP answer: a line of an error file, a stopped job, or a server that does not start. */
	public static final int NO_STATUS = 0;

	/**
	 * @param code    the number after {@code BULK-}
	 * @param status  the HTTP status of the answer that carries it, or {@link #NO_STATUS}
	 * @param meaning what happened
	 * @param action  what the caller (or the operator) should do
	 * @param retired whether the code is no longer given out (it is never given to anything else)
	 */
	public record Entry(int code, int status, String meaning, String action, boolean retired) {}

	private static final Map<Integer, Entry> ENTRIES = new LinkedHashMap<>();

	static {
		// 1xx: export kick-offs
		use(101, 400, "An export kick-off without `Prefer: respond-async`.", "Send `Prefer: respond-async`.");
		use(102, 400, "An export kick-off without an `Accept` header.", "Send `Accept: application/fhir+json`.");
		use(103, 400, "A kick-off `Accept` header that does not name `application/fhir+json` (`application/json` and `*/*` included: the IG supports only `application/fhir+json`).",
				"Send `Accept: application/fhir+json`.");
		use(104, 400, "A parameter the export does not support.",
				"Leave it out, or send `Prefer: handling=lenient` to have it ignored and reported.");
		use(105, 400, "An unknown resource type in `_type`.", "Name resource types of the server's FHIR version (R4, R4B or R5) only (or use lenient handling).");
		use(106, 400, "A `_since` or `_until` in the future.", "Send an instant that has passed.");
		use(107, 400, "An unsupported `_outputFormat`.", "Use `application/fhir+ndjson`, `application/ndjson` or `ndjson`.");
		use(108, 400, "An `_until` that is not later than `_since`.", "Send an `_until` after `_since`.");
		use(109, 400, "A `_type` outside the Patient compartment at Patient or Group level, with `include-referenced-resources` off.",
				"Ask only for compartment types (or the operator turns the setting on).");
		use(110, 400, "`patient` in a system-level export.", "Use `Patient/$export` or `Group/[id]/$export`.");
		use(111, 400, "`patient` added to `Patient/[id]/$export`.", "Use `Patient/$export` with `patient` values instead.");
		use(112, 400, "A `patient` value that is not a `Patient/[id]` reference.", "Reference patients as `Patient/[id]`.");
		use(113, 404, "The Group of a Group export is not known to the server.", "Check the Group id.");
		use(114, 404, "The patient of `Patient/[id]/$export` is not known to the server.", "Check the patient id.");
		use(115, 400, "A `patient` value unknown to the server (a warning under lenient handling).",
				"Check the ids; lenient handling drops unknown ones.");
		use(116, 400, "`patient` values that are not members of the Group (a warning under lenient handling).",
				"Name members only; lenient handling drops the others.");
		use(117, 429, "The server already runs `max-running-exports` exports.", "Wait `Retry-After` seconds and kick off again.");
		use(118, 400, "An `_elements` value that is neither `Type.element` nor `element`.", "Fix the `_elements` syntax.");
		use(119, 400, "An `_elements` value naming a top-level element its type does not have.",
				"Name top-level elements of the type.");
		use(120, NO_STATUS, "Lenient handling ignored an unsupported parameter (a warning in the manifest's error file).",
				"Nothing; leave the parameter out to be rid of the warning.");
		use(121, 400, "A `_typeFilter` that is not of the form `Type?parameters`.", "Send `Type?name=value&...`.");
		use(122, 400, "A `_typeFilter` on a type that `_type` does not export.", "Add the type to `_type` or drop the filter.");
		use(123, 400, "A `_typeFilter` with a result parameter (`_include`, `_sort`, `_count`, `_elements`, ...).",
				"Use search parameters only.");
		use(124, 400, "An unsupported `includeAssociatedData` value.",
				"Use `LatestProvenanceResources` or `RelevantProvenanceResources`.");
		use(125, 400, "An `organizeOutputBy` other than `Patient`.", "Use `organizeOutputBy=Patient` or leave it out.");
		use(126, 400, "`organizeOutputBy=Patient` with a `_type` outside the Patient compartment.",
				"Ask only for compartment types in this form.");
		use(127, 500, "An unexpected error in a bulk endpoint.",
				"Give the operator the correlation id; the server's log holds the details under it.");
		use(128, 400, "A `_typeFilter` the server's search refuses (an unknown search parameter, a bad value).",
				"Use search parameters the CapabilityStatement lists for the type.");
		use(129, 400, "A `_typeFilter` the server cannot run for another reason.", "Simplify the filter.");
		use(130, 400, "A kick-off URL longer than 4,000 characters.", "Send the request as a POST with a `Parameters` body.");
		use(131, 400, "The body of a POST `$export` is not a `Parameters` resource.", "Send a `Parameters` resource.");
		use(132, 400, "A `Parameters.parameter` without a name in a POST `$export`.", "Name every parameter.");
		use(133, 400, "`_since`, `_until`, `_outputFormat`, `organizeOutputBy`, `allowPartialManifests` or "
				+ "`_anonymizationConfig` given twice.",
				"Give each of them once.");
		use(134, 400, "A `_typeFilter` longer than `max-type-filter-length`.",
				"Shorten it, or split it into several `_typeFilter` values.");
		use(135, 400, "A `_type` none of whose types can be exported (also under lenient handling).",
				"Name at least one type the export can hold.");
		use(136, 400, "At Patient or Group level a `_type` naming only types outside the Patient compartment.",
				"Add a compartment type, or use lenient handling.");
		use(137, 400, "A `_since` or `_until` that is not an instant with a time zone.", "Send e.g. `2024-01-31T00:00:00Z`.");
		use(138, 400, "Under lenient handling, none of the `patient` values can be exported.",
				"Name at least one known patient (and Group member).");
		use(139, 400, "A query string that is not valid percent-encoding (`%ZZ`).", "Encode a literal `%` as `%25`.");

		// 201-209: status, cancel and download; 210-239: $import kick-offs; 240-299: import error lines
		use(201, 404, "No such job: unknown, another client's, cancelled, deleted or expired.",
				"Check the status URL; kick off again if it expired.");
		use(202, 500, "The job failed.",
				"Kick off again; the operator finds the cause in the log under the job id (the correlation id).");
		use(203, 404, "No such file: the job is unknown, unfinished, deleted or expired, or does not list the file.",
				"Download only URLs of the current manifest.");
		use(204, 429, "A status poll sooner than `Retry-After` allowed.", "Wait `Retry-After` seconds between polls.");
		use(205, 404, "A manifest page not reached yet (`allowPartialManifests`).", "Follow the `next` links in order.");
		use(206, 400, "A `Parameters.parameter` without a name in an `$import` body.", "Name every parameter.");
		use(207, 400, "`job`, `file` or `page` given twice.", "Give each once.");
		use(208, 400, "A `page` that is not a whole number from 1.", "Send `page=1`, `2`, ...");
		use(209, 400, "An `$import` URL longer than 4,000 characters.", "Shorten the URL.");
		use(210, 400, "An `$import` kick-off without `Prefer: respond-async`.", "Send `Prefer: respond-async`.");
		use(211, 400, "An `$import` body that cannot be read (none, not JSON, not a `Parameters` resource or import request).",
				"Send a `Parameters` resource or the SMART import JSON.");
		use(212, 400, "An `inputFormat` other than NDJSON.", "Use `application/fhir+ndjson`.");
		use(213, 400, "An `$import` without inputs.", "Name at least one input `{type, url}`.");
		use(214, 400, "An input without `type` or `url`.", "Give every input both.");
		use(215, 400, "An input of an unknown resource type.", "Use resource types of the server's FHIR version (R4, R4B or R5).");
		use(216, 400, "An input URL that is malformed, not absolute, without a host, or of a scheme other than http(s) or `file:`.",
				"Send absolute `https`, `http` or `file` URLs.");
		use(217, 403, "An http(s) input outside `hapi.bulk.import.allowed-sources`.",
				"Use an allowed source, or ask the operator to allow it.");
		use(218, 403, "A `file:` input on a server without an import directory, or outside it (symbolic links resolved).",
				"Place the file in `hapi.bulk.import.directory`.");
		use(219, 400, "An input that cannot be read now (no answer, an error status, no such file, not a file).",
				"Check the source and kick off again.");
		use(220, 429, "The server already runs `max-running-imports` imports.", "Wait `Retry-After` seconds and kick off again.");
		use(221, 400, "An unsupported `storageDetail` type.", "Use `https`, `http` or `file`.");
		retire(222, 400, "Never given out: a nameless `$import` parameter is BULK-0206.", "None.");
		use(223, 403, "The token may neither create nor update the type of an input.",
				"Ask for `system/[type].c` (new resources) or `.u` (stored ones).");
		use(224, 403, "A patient-scoped token asked for `$import`.", "Use a client with system scopes.");
		use(225, NO_STATUS, "Error line: the line would change a stored (or deleted) resource and the token may not update its type.",
				"Grant `.u` (or `.cu`) to re-import over stored data.");
		use(226, NO_STATUS, "Error line: the line would create a resource and the token may not create its type.",
				"Grant `.c` for new resources.");
		use(227, NO_STATUS, "Error line: the input was stopped after `max-error-lines` error lines.",
				"Fix the input and import it again.");
		use(228, NO_STATUS, "Error line: the input was stopped at `max-input-size` (after decompression).",
				"Split the input, or ask the operator to raise the limit.");
		use(229, 400, "More inputs than `max-inputs`.", "Split the import into several kick-offs.");
		use(230, 403, "An input URL refused after normalization (user info, encoded `/`, `\\` or NUL, double escapes, `..;`).",
				"Send a plain URL.");
		use(240, NO_STATUS, "Error line: not a FHIR resource in JSON.", "Fix the line.");
		use(241, NO_STATUS, "Error line: a resource of another type than its input declares.",
				"Put each resource in an input of its type.");
		use(242, NO_STATUS, "Error line: a resource without an id (ids are kept).", "Give every resource an id.");
		use(243, NO_STATUS, "Error line: longer than `max-line-length`; skipped unread.", "Shorten the resource or raise the limit.");
		use(244, NO_STATUS, "Error line: HAPI refused the resource (e.g. a reference to a missing resource); the diagnostics say why.",
				"Fix the resource or import what it references first.");

		// 3xx: job execution and authorization
		use(301, 500, "The job could not be started.", "Kick off again; the operator finds the cause in the log.");
		use(310, 401, "No valid access token reached a bulk feature (not through the FHIR server's authentication).",
				"Send a valid bearer token.");
		retire(311, 403, "Was: `$import` without a write scope; now BULK-0223/0224.", "None.");
		retire(312, 403, "Was: a token that may not write an input's type; now BULK-0223 and the error lines BULK-0225/0226.",
				"None.");
		use(320, 401, "A request without `Authorization: Bearer`.", "Get a token at the token endpoint and send it.");
		use(321, 401, "An access token that is invalid or has expired.", "Get a new token.");
		use(330, 403, "A patient-scoped client asked for another export than its own patient's.",
				"Use `Patient/[its id]/$export`.");
		use(331, 403, "A `_type` outside the token's read scopes.", "Ask for the scope, or leave the type out.");
		use(332, 403, "A `_typeFilter` on a type outside the token's read scopes.", "Ask for the scope, or drop the filter.");
		use(333, 403, "`includeAssociatedData` without read access to Provenance.", "Ask for `system/Provenance.rs`.");
		use(334, 403, "The token may read none of the types this export level holds.", "Ask for read scopes.");
		use(340, 403, "A search or conditional URL whose `_has`, chains or includes reach types the token may not read.",
				"Ask for read access to those types, or search without them.");
		use(341, 403, "A `_typeFilter` whose `_has` or chains reach types the token may not read.",
				"Ask for read access to those types.");
		use(342, 403, "A Group export without read access to Group.", "Ask for `system/Group.rs`.");
		use(343, 403, "A download of a file whose types the current token may not read.",
				"Use a token with read access to the file's type.");
		use(344, 403, "A write whose references hold inline match URLs (`Type?params`) searching types the token may not"
				+ " read (any, for a patient-scoped token).", "Reference by id, or ask for read access to those types.");
		use(345, NO_STATUS, "Error line: the line's references hold inline match URLs searching types the import's token"
				+ " may not read; nothing of it was stored.", "Grant read access to those types (`system/[type].rs`),"
				+ " or reference by id.");
		use(346, 403, "An export naming patients (`Patient/[id]/$export`, `patient`) without read access to Patient.",
				"Ask for `system/Patient.rs`.");
		// 350-359: the audit trail (append-only, read with system/bulk-audit)
		use(350, 403, "A client request that would create, update, patch, delete or expunge an AuditEvent (directly, or in a transaction or batch): the audit trail is append-only.",
				"None: AuditEvents are written by the server alone.");
		use(351, 403, "A read, search or history of AuditEvent (or `_type=AuditEvent`, or a transaction `GET` of it) without the `system/bulk-audit` scope.",
				"Use a client registered with `system/bulk-audit` and ask for it.");
		use(352, 403, "An `$export` whose `_type` names AuditEvent, without the `system/bulk-audit` scope.",
				"Ask for `system/bulk-audit`, or leave AuditEvent out (an export without `_type` never includes it).");
		use(353, NO_STATUS, "Error line: the line holds an AuditEvent, which no import may add to the audit trail.",
				"None: leave AuditEvents out of imports.");
		use(354, 403, "A client request that reached AuditEvents in storage by another way (a conditional or cascading delete, an expunge): the audit trail is append-only.",
				"Leave AuditEvents out of the request.");
		// 360-369: fail-closed settings and the JWKS fetches of the token endpoint
		use(360, NO_STATUS, "The server does not start: mode smart without `hapi.bulk.server-base-url`.",
				"Set `hapi.bulk.server-base-url` to the public FHIR base URL clients use.");

		// 410-439: reliability
		use(410, 503, "A status, cancel or download got no answer from the database within `status-timeout`.",
				"Retry after `Retry-After`.");
		use(411, 503, "A status, cancel or download failed on a database error.", "Retry after `Retry-After`.");
		use(412, 503, "A kick-off whose job row could not be written (database unavailable).", "Kick off again later.");
		use(413, 503, "The file directory has less than `min-free-space` free.",
				"Retry after `Retry-After`; the operator frees disk space.");
		use(414, 429, "The client's jobs hold more than `max-bytes-per-client` in files.",
				"Delete finished jobs (DELETE their status URL) or wait until they expire.");
		use(415, NO_STATUS, "A job stopped: the database was away for longer than its retries (its failure reason).",
				"Kick off again.");
		use(416, 503, "A cancel failed: the database is unavailable.", "Cancel again later.");
		use(417, NO_STATUS, "The server does not start: `hapi.bulk.recovery.status-lookup-threads` or `status-lookup-queue` is under 1.",
				"Set 1 or more.");

		// 501-519: start-up and the host
		use(501, 503, "The server is still starting (providers and authorization not registered yet).", "Retry in a second.");
		use(502, 404, "HAPI's `$export-poll-status` or `$import-poll-status`, which this server does not serve.",
				"Poll the kick-off's `Content-Location` (`$bulk-status`).");
		use(503, NO_STATUS, "The server does not start: HAPI partitioning is on but the host has no `IRequestPartitionHelperSvc` "
				+ "(not a HAPI JPA server), so a request's partition cannot be known (docs/tenants.md).", "Run the extension in "
				+ "a HAPI JPA server, or turn partitioning or the extension off.");

		// 560-569: the host's FHIR version
		use(560, NO_STATUS, "The server does not start: its FhirContext is a FHIR version the extension does not serve"
				+ " (DSTU2, DSTU3).", "Run the server on FHIR R4, R4B or R5 (`hapi.fhir.fhir_version`), or set"
				+ " `hapi.bulk.enabled=false`.");
		// 570-579: the HAPI release the extension runs in (docs/compatibility.md)
		use(570, NO_STATUS, "Logged at start-up (WARN): the host runs a HAPI FHIR line the extension is not tested on"
				+ " (tested: 8.8.x).", "Read docs/compatibility.md for that line; run an export and an import on a copy first.");
		use(571, NO_STATUS, "Logged at start-up (WARN): HAPI FHIR did not report a version the extension can read.",
				"Check that hapi-fhir-base is complete on the classpath; read docs/compatibility.md.");

		// 620-649: the administrators' job API ($bulk-jobs)
		use(620, 400, "`$bulk-jobs` with a parameter it does not know.",
				"Use `job`, `state`, `kind`, `_count` and `page` only.");
		use(621, 400, "A `$bulk-jobs` `state` that names no job state.",
				"Use `accepted`, `running`, `completed`, `failed`, `cancelled` or `deleted` (comma-separated).");
		use(622, 400, "A `$bulk-jobs` `kind` that is neither `export` nor `import`.",
				"Send `export` or `import`.");
		use(623, 400, "A `$bulk-jobs` `_count` that is not a whole number from 1 to 100.",
				"Send a number from 1 to 100.");
		use(624, 400, "A `$bulk-jobs` `page` that is not a whole number from 1.",
				"Send a page number from 1 (or follow `next`).");
		use(625, 403, "`$bulk-jobs` with a token that lacks the `system/bulk-admin` scope.",
				"Register the client with `system/bulk-admin` and ask for it (see administration.md).");
		use(626, 404, "`$bulk-jobs?job=` names no job.",
				"Check the job id.");
		use(627, 400, "A `$bulk-jobs` parameter given twice.",
				"Give it once; several states go in one comma-separated `state`.");
		use(628, 400, "`$bulk-jobs` with `job` and also `state`, `kind` or `page`.",
				"Ask for one job, or for a list.");
		// 650-669: node leases (several nodes on one database)
		use(650, NO_STATUS, "The server does not start: `hapi.bulk.cluster.node-id` is blank or longer than 200 characters.",
				"Fix the setting, or leave it unset for a generated id.");
		use(651, NO_STATUS, "The server does not start: `hapi.bulk.cluster.lease-duration` is under 1 s.", "Set 1 s or more.");
		use(652, NO_STATUS, "Logged (ERROR): another running process has registered this node id.",
				"Give every node its own `node-id`.");
		use(653, NO_STATUS, "Logged (WARN): a heartbeat came after this node's lease had expired (database away, or a long pause).",
				"Nothing if rare; if it repeats, look for long pauses or raise `lease-duration`.");

		// 670-699: storage back ends and encryption at rest
		use(670, NO_STATUS, "The server does not start: `hapi.bulk.storage.encryption-key` (or an `encryption-old-keys` entry) is not base64 of 32 bytes.",
				"Make one with `openssl rand -base64 32`.");
		use(671, NO_STATUS, "The server does not start: `hapi.bulk.storage.type=s3` without `s3.bucket`.", "Set `s3.bucket`.");
		use(672, NO_STATUS, "The server does not start: `s3.kms-key-id` is set but `s3.sse` is not `kms`.",
				"Set `s3.sse=kms`, or leave the key id out.");
		use(673, NO_STATUS, "The server does not start: `s3.access-key-id` without `s3.secret-access-key` (or the reverse).",
				"Set both, or neither (the SDK's default credential chain).");
		use(674, NO_STATUS, "An encrypted file's record does not authenticate (a wrong key, or a damaged file): its job fails, "
				+ "or its download stops.", "Restore the key the file was written with; run the job again.");
		use(675, NO_STATUS, "The server does not start: `encryption-key` together with `type=s3`.",
				"Use `s3.sse` for objects in S3.");
		use(676, NO_STATUS, "An encrypted file ends without its end record (cut short, even at a record boundary) or has bytes after "
				+ "it: its job fails, or its download stops.", "Restore the file from a copy, or run the job again.");
		use(677, NO_STATUS, "An encrypted file names a key (its key id) that is neither `encryption-key` nor one of "
				+ "`encryption-old-keys`: its job fails, or its download stops.", "Add the key it was written with to "
				+ "`hapi.bulk.storage.encryption-old-keys`.");
		use(678, NO_STATUS, "The server does not start: `encryption-old-keys` without `encryption-key`.",
				"Set the current key too (new files are written with it).");
		use(679, NO_STATUS, "Logged (WARN) at start: `hapi.bulk.storage.s3.sse=none`: bulk files (PHI) are stored without asking "
				+ "the server to encrypt them.", "Set `s3.sse=s3` (the default) or `kms` where the store supports it, or "
				+ "make sure the bucket encrypts by default.");
		use(680, NO_STATUS, "Logged (ERROR): a file being downloaded does not match the SHA-256 its manifest gives (changed or "
				+ "damaged in the store): the download is cut short before its last byte.", "Restore the file, or run the "
				+ "job again; find what changed the store.");

		// 700-719: cluster mode (remote partitions over RabbitMQ) and key ranges
		use(700, NO_STATUS, "The server does not start: the cluster is on and `hapi.bulk.cluster.queue` is blank or longer than 255 characters.",
				"Fix the queue name, or leave it unset.");
		use(701, NO_STATUS, "The server does not start: the cluster is on and `hapi.bulk.cluster.poll-interval` is under 10 ms.",
				"Set 10 ms or more.");
		use(702, NO_STATUS, "The server does not start: the cluster is on but `spring-batch-integration` or `spring-rabbit` is missing.",
				"Add both to the host, or turn the cluster off.");
		use(703, NO_STATUS, "The server does not start: the cluster is on but there is no single RabbitMQ `ConnectionFactory` bean.",
				"Set `spring.rabbitmq.*` (Spring Boot), or declare one `ConnectionFactory` bean.");
		use(704, NO_STATUS, "The server does not start: `hapi.bulk.export.partition-size` is under 1.", "Set 1 or more.");
		use(705, NO_STATUS, "Logged (WARN): a partition request names a step that is not its partition's worker step (a forged or "
				+ "garbled message): it is dropped, not run.", "Find who publishes to the partition queue; restrict the queue's "
				+ "write permission to the nodes' RabbitMQ user.");
		use(706, NO_STATUS, "Logged (WARN): a partition request reached a node while another live node runs that partition: it "
				+ "is not run here and goes back to the queue.", "Nothing if it stops when the partition ends (a request handed "
				+ "out twice); if it repeats for one partition, look for forged messages on the queue.");
		// 800 and up: the features built on the rest (tenants, de-identification, $bulk-submit)
		FeatureErrorCodes.register(BulkErrorRegister::use);
	}

	private BulkErrorRegister() {}

	static void use(int code, int status, String meaning, String action) {
		add(new Entry(code, status, meaning, action, false));
	}

	private static void retire(int code, int status, String meaning, String action) {
		add(new Entry(code, status, meaning, action, true));
	}

	private static void add(Entry entry) {
		if (ENTRIES.putIfAbsent(entry.code(), entry) != null) {
			throw new IllegalStateException("BULK-" + entry.code() + " is registered twice");
		}
	}

	/** Every registered code, in order of registration (ascending). */
	public static Map<Integer, Entry> entries() {
		return Collections.unmodifiableMap(ENTRIES);
	}

	public static Optional<Entry> find(int code) {
		return Optional.ofNullable(ENTRIES.get(code));
	}
}
