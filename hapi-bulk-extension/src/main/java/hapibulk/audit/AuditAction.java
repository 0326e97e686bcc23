package hapibulk.audit;

/** What an audit record is about; the code is the AuditEvent's subtype and the log line's {@code action}. */
public enum AuditAction {
	TOKEN_ISSUED("token-issued", "E"),
	TOKEN_REFUSED("token-refused", "E"),
	EXPORT_KICKOFF("export-kickoff", "E"),
	JOB_COMPLETED("job-completed", "E"),
	JOB_FAILED("job-failed", "E"),
	FILE_DOWNLOADED("file-downloaded", "R"),
	JOB_CANCELLED("job-cancelled", "D"),
	IMPORT_STARTED("import-started", "C"),
	IMPORT_FINISHED("import-finished", "C"),
	ACCESS_REFUSED("access-refused", "E"),
	/** An administrator looked at one job in detail ({@code $bulk-jobs?job=}). */
	ADMIN_JOB_VIEWED("admin-job-viewed", "R"),
	/** An administrator read the job list ({@code $bulk-jobs}); stored coalesced per client and interval. */
	ADMIN_JOBS_LISTED("admin-jobs-listed", "R"),
	/** An administrator cancelled (or deleted) a job of another client. */
	ADMIN_JOB_CANCELLED("admin-job-cancelled", "D");

	private final String code;
	private final String fhirAction;

	AuditAction(String code, String fhirAction) {
		this.code = code;
		this.fhirAction = fhirAction;
	}

	public String code() {
		return code;
	}

	/** AuditEvent.action: C, R, U, D or E. */
	public String fhirAction() {
		return fhirAction;
	}
}
