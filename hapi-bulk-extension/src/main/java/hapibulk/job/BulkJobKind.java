package hapibulk.job;

/** What a bulk job does; each kind is one Spring Batch job. */
public enum BulkJobKind {
	EXPORT,
	IMPORT
}
