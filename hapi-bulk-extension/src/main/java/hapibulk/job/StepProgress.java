package hapibulk.job;

import java.time.Instant;

/**
 * One step execution of a job, as Spring Batch recorded it: the plan, each partition (one type, an
 * import input, ...), the manifest. Shown to administrators; clients never see Spring Batch's model.
 *
 * @param name    the step, with the partition after a colon ({@code bulkExportTypeStep:Patient})
 * @param status  Spring Batch's status (STARTED, COMPLETED, FAILED, STOPPED, ...)
 * @param written what the step reported writing (resources or stored lines)
 * @param commits chunks committed
 * @param node    in cluster mode, the node that last ran this partition; null for other steps and single nodes
 */
public record StepProgress(String name, String status, long written, long commits, Instant startedAt,
		Instant finishedAt, String node) {}
