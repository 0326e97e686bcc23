package hapibulk.export.job;

/** Job parameters and execution-context keys of the export job. */
public final class ExportJobKeys {

	private ExportJobKeys() {}

	/** Job parameter: comma-separated resource types; empty for every type. */
	public static final String TYPES = "exportTypes";
	/** Job parameter: epoch milliseconds of {@code _since}; absent when not given. */
	public static final String SINCE = "exportSince";
	/** Job execution context: the types the plan step found resources of, comma-separated. */
	static final String PLANNED_TYPES = "exportPlannedTypes";
}
