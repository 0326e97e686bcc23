package hapibulk.support;

/**
 * The codes from 800 on, of the features built on the jobs, storage and authorization ({@link BulkErrorRegister}
 * holds the rest, and is the one register: it calls this in order, and the same rules hold).
 */
final class FeatureErrorCodes {

	/** How an entry is added ({@link BulkErrorRegister}'s own). */
	interface Registrar {
		void use(int code, int status, String meaning, String action);
	}

	private FeatureErrorCodes() {}

	static void register(Registrar register) {
		// 800-829: tenants, HAPI's partitions (docs/tenants.md)
		register.use(801, 400, "An `$import` whose input types HAPI would store in different partitions (e.g. a type HAPI never "
				+ "partitions beside partitioned ones).", "Import the types of each partition in a request of their own.");
		register.use(802, 400, "An `$import` HAPI identifies with every partition (no partition to write into).",
				"Kick the import off under a tenant (`[base]/TENANT/$import`).");
		register.use(803, 400, "An `$import` whose input types HAPI stores in another partition than the request's own (types HAPI "
				+ "never partitions, such as ValueSet, go to DEFAULT).", "Import those types under their partition's tenant "
				+ "(`[base]/DEFAULT/$import`).");
		register.use(804, 400, "`$bulk-submit` or `$bulk-submit-status` on a partitioned server, where submissions are not served "
				+ "yet.", "Load the provider's files with `$import` under the tenant (`[base]/TENANT/$import`).");
		register.use(805, 400, "The job page's `config.json` was asked for a tenant (`/bulk-admin/?tenant=`) that is no "
				+ "partition name (letters, digits, `_` and `-`).", "Open the page with the tenant's partition name.");
		register.use(806, 400, "The job page's `config.json` was asked for a tenant (`/bulk-admin/?tenant=`) on a server "
				+ "without tenants (partitioning off).", "Open the page without `?tenant=`.");
		// 900-929: de-identified export (docs/deidentification.md)
		register.use(900, BulkErrorRegister.NO_STATUS, "The server does not start: a de-identification profile (`hapi.bulk.deid.profiles.NAME`) cannot be "
				+ "read or is not a JSON object.", "Fix the path (a file, or `classpath:` and a resource) or the file's JSON.");
		register.use(901, BulkErrorRegister.NO_STATUS, "The server does not start: a rule of a de-identification profile names an unknown method, has no "
				+ "path, a path or case that does not parse, or an option its method does not take; the message names the rule.",
				"Fix that rule (see docs/deidentification.md for the methods and their options).");
		register.use(902, BulkErrorRegister.NO_STATUS, "The server does not start: a de-identification profile has an unknown entry or parameter, a key "
				+ "written into it, another `fhirVersion`, or a `processingErrors` other than raise or skip.",
				"Fix the profile; keys go in `hapi.bulk.deid.keys.*` or `hapi.bulk.deid.profile-keys.NAME.*`.");
		register.use(903, BulkErrorRegister.NO_STATUS, "The server does not start: a de-identification key is too short (crypto-hash and date-shift keys "
				+ "need 16 characters) or an encrypt key is not 16, 24 or 32 bytes.", "Set a longer (random) key.");
		register.use(904, BulkErrorRegister.NO_STATUS, "The server does not start: a rule of a registered de-identification profile needs a key that is "
				+ "not set; the message names the rule and the setting.", "Set the key it names.");
		register.use(905, BulkErrorRegister.NO_STATUS, "The server does not start: a de-identification profile name is not letters, digits, `.`, `_` "
				+ "and `-`, is the built-in `safe-harbor`, or `profile-keys` names no registered profile.",
				"Rename the profile, or fix the `profile-keys` name.");
		register.use(906, BulkErrorRegister.NO_STATUS, "The server does not start: a client's `deid-profile` names no usable de-identification profile "
				+ "(unknown, or its key is not set).", "Register the profile (and its keys), or fix the name.");
		register.use(910, 400, "`_anonymizationConfig` names no de-identification profile of this server (also under lenient "
				+ "handling: a de-identified export is never replaced by a plain one).", "Use a name the message lists.");
		register.use(911, 400, "`_anonymizationConfig` names a profile that cannot be used yet (the built-in `safe-harbor` before "
				+ "`hapi.bulk.deid.keys.crypto-hash-key` is set).", "The operator sets the key the message names.");
		register.use(912, 403, "A client bound to a de-identification profile asked for another one.",
				"Leave `_anonymizationConfig` out (or name the bound profile).");
		register.use(913, 403, "A client bound to a de-identification profile sent `_typeFilter` (selecting by identifying values "
				+ "would tell which pseudonym is whose).", "Leave `_typeFilter` out; filter the de-identified output.");
		register.use(914, 403, "A client bound to a de-identification profile named patients (`Patient/[id]/$export` or `patient`).",
				"Export a Group, or all patients.");
		register.use(915, 403, "A client bound to a de-identification profile made a FHIR request other than `$export`, its status "
				+ "and its files (a read, a search, a transaction): its data comes de-identified only.",
				"Use de-identified exports; an operator binds another client for other access.");
		register.use(916, 403, "A client is bound (in mode external: its token's claim) to a de-identification profile this server "
				+ "does not have: nothing is exported.", "The operator registers the profile or fixes the claim.");
		register.use(917, BulkErrorRegister.NO_STATUS, "A de-identified export stopped: its profile's keys changed (or the profile was removed) since "
				+ "it started, and it will not write pseudonyms of two keys into one delivery.", "Start a new export.");
		register.use(918, BulkErrorRegister.NO_STATUS, "A de-identified export stopped: a rule of its profile could not be applied to a resource "
				+ "(`processingErrors: raise`); the log names the rule and the resource type.",
				"Fix the rule (for instance generalize on a complex element), or set `processingErrors: skip`.");
		// 930-959: $bulk-submit and $bulk-submit-status (docs/bulk-submit.md)
		register.use(930, 400, "A `$bulk-submit` or `$bulk-submit-status` body that is not a `Parameters` resource, or repeats a single-valued parameter.",
				"Send one `Parameters` resource (JSON or XML), each parameter once.");
		register.use(931, 400, "A `$bulk-submit` or `$bulk-submit-status` without a `submitter` Identifier (with a value) or a `submissionId` (at most 256 characters), or a status poll without them.",
				"Send both, as the IG's parameters (poll the `Content-Location` as given).");
		register.use(932, 400, "A `$bulk-submit` with neither `submissionStatus` nor `manifestUrl`.",
				"Send a manifest, a status, or both.");
		register.use(933, 400, "A `submissionStatus` other than `in-progress`, `completed` or `stopped`.",
				"Use one of the three codes.");
		register.use(934, 400, "A `manifestUrl` without `fhirBaseUrl`.",
				"Send the provider's FHIR base URL with the manifest.");
		register.use(935, 403, "A `$bulk-submit` from a submitter the operator did not register (`hapi.bulk.submit.submitters`).",
				"The operator registers the submitter (docs/bulk-submit.md).");
		register.use(936, 403, "A `fhirBaseUrl` that is not (under) a base URL registered for the submitter, or not an http(s) URL.",
				"Submit from a registered base, or the operator adds the base to the registration.");
		register.use(937, 403, "A `manifestUrl` or `oauthMetadataUrl` outside the submission's `fhirBaseUrl` (400 when it is not an http(s) URL).",
				"Submit manifests served under the provider's base URL.");
		register.use(938, 400, "The provider's manifest could not be read: an HTTP error, a redirect, no answer within `hapi.bulk.submit.timeout`, a body over `max-manifest-size`, or no token from the provider.",
				"Check the manifest URL and the provider; the message says what failed.");
		register.use(939, 409, "The provider answered 202 for the manifest: its export is not complete.",
				"Submit the manifest once the provider's export is complete.");
		register.use(940, 400, "The provider's manifest is not usable: not a JSON object, no `output` array, an output without `type` or `url`, a type this server does not know, or more pages than `max-manifest-pages`.",
				"Fix the manifest at the provider.");
		register.use(941, 403, "A file URL (output, deleted or next page) in the provider's manifest lies outside the submission's `fhirBaseUrl` (400 when it is not an http(s) URL).",
				"Serve the files under the provider's base URL, or register that base for the submitter.");
		register.use(942, 400, "A submission this server cannot honour yet: `submissionStatus` `stopped`, `replacesManifestUrl`, or a manifest with `deleted` files.",
				"Submit new data as new manifests; remove data by other means for now.");
		register.use(943, 400, "A `$bulk-submit` parameter this server does not support (`fileRequestHeader`, `fileEncryptionKey`, `import`), or an `outputFormat` other than NDJSON.",
				"Submit without it; serve NDJSON files that need no extra headers or decryption.");
		register.use(944, 404, "`$bulk-submit-status` for a submission this server does not know, or that another client made.",
				"Check the submitter and submissionId; poll with the client that submitted.");
		register.use(945, 403, "`$bulk-submit` or `$bulk-submit-status` with an access token without `system/bulk-submit`.",
				"Ask for `system/bulk-submit` (and create/update scopes for the types to load).");
		register.use(946, 409, "A `$bulk-submit` to a submission already `completed` or `stopped`.",
				"Start a new submission (another submissionId).");
		register.use(947, 403, "A `$bulk-submit` to a submission another client made.",
				"Submit with the client that started the submission.");
		register.use(948, 500, "`$bulk-submit-status`: an import of the submission failed or was cancelled; the message names its manifest.",
				"Submit the manifest again (same submission) once the provider is back: it is loaded again, and what was stored is not stored twice.");
		register.use(949, 403, "A file of a `$bulk-submit` import no longer lies under a base URL registered for its submitter (the registration changed before the job read it).",
				"Submit again from a registered base, or the operator restores the registration.");
	}
}
