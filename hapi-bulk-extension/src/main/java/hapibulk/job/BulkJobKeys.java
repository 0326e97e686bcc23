package hapibulk.job;

/** Names of job parameters and execution-context entries that more than one class reads. */
public final class BulkJobKeys {

	private BulkJobKeys() {}

	/** Identifying job parameter: our public job id, so each kick-off is its own Spring Batch job instance. */
	public static final String BULK_JOB_ID = "bulkJobId";

	/**
	 * Partition execution-context entry: the id of the cluster node that last ran the partition, stored as the
	 * node takes it; it tells operators where work ran, and a node taking over a dead node's job which of its
	 * partitions still run on live nodes ({@code recovery.LostExecutionTakeover}).
	 */
	public static final String PARTITION_NODE = "hapi.bulk.partition.node";
}
