package hapibulk.job;

/** The public life cycle of a bulk job, as clients see it through the status URL. */
public enum BulkJobState {
	/** Kicked off; Spring Batch has not started it yet. */
	ACCEPTED,
	RUNNING,
	COMPLETED,
	FAILED,
	/** Stopped by the client's DELETE while it ran. */
	CANCELLED,
	/** A finished job whose files the client deleted, or that expired. */
	DELETED;

	public boolean isActive() {
		return this == ACCEPTED || this == RUNNING;
	}

	/** Whether the status URL still answers for a job in this state (anything else is a 404). */
	public boolean isVisible() {
		return this != CANCELLED && this != DELETED;
	}
}
