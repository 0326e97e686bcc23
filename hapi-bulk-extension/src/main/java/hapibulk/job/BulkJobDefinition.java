package hapibulk.job;

import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobExecutionListener;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.transaction.PlatformTransactionManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * What one kind of bulk job brings to {@link BulkJobFrame}: what plans it, what works on one partition,
 * what writes its manifest, and in which waves its partitions run. The frame builds the same job from
 * every definition: plan step → partitioned worker step → manifest step.
 * <p>
 * Step names are stored in Spring Batch's tables and a restart finds its partitions by them, so every
 * kind keeps the names it was released with: {@code <stepPrefix>PlanStep}, {@code <stepPrefix>PartitionStep},
 * {@code <stepPrefix>ManifestStep} and its own worker step name.
 *
 * @param workerTransactions the worker step's transaction manager; null: HAPI's (the engine's)
 * @param partitions         each partition's name and starting context, in order, from the job's plan
 *                           (see {@link PlannedPartitionSplitter})
 */
public record BulkJobDefinition(
		String jobName,
		String stepPrefix,
		Tasklet plan,
		List<StepExecutionListener> planListeners,
		String workerStepName,
		Tasklet worker,
		PlatformTransactionManager workerTransactions,
		List<StepExecutionListener> workerListeners,
		Function<JobExecution, Map<String, ExecutionContext>> partitions,
		PartitionWaves waves,
		Tasklet manifest,
		List<JobExecutionListener> jobListeners) {

	public BulkJobDefinition {
		Objects.requireNonNull(jobName, "jobName");
		Objects.requireNonNull(stepPrefix, "stepPrefix");
		Objects.requireNonNull(plan, "plan");
		Objects.requireNonNull(workerStepName, "workerStepName");
		Objects.requireNonNull(worker, "worker");
		Objects.requireNonNull(partitions, "partitions");
		Objects.requireNonNull(manifest, "manifest");
		planListeners = List.copyOf(planListeners);
		workerListeners = List.copyOf(workerListeners);
		jobListeners = List.copyOf(jobListeners);
		waves = waves == null ? PartitionWaves.ONE_WAVE : waves;
	}

	public String planStepName() {
		return stepPrefix + "PlanStep";
	}

	public String partitionStepName() {
		return stepPrefix + "PartitionStep";
	}

	public String manifestStepName() {
		return stepPrefix + "ManifestStep";
	}

	/** @param stepPrefix {@code bulkExport} names the steps {@code bulkExportPlanStep} and so on */
	public static Builder named(String jobName, String stepPrefix) {
		return new Builder(jobName, stepPrefix);
	}

	/** Reads like the job it describes: plan, worker, partitions, manifest. */
	public static final class Builder {

		private final String jobName;
		private final String stepPrefix;
		private Tasklet plan;
		private final List<StepExecutionListener> planListeners = new ArrayList<>();
		private String workerStepName;
		private Tasklet worker;
		private PlatformTransactionManager workerTransactions;
		private final List<StepExecutionListener> workerListeners = new ArrayList<>();
		private Function<JobExecution, Map<String, ExecutionContext>> partitions;
		private PartitionWaves waves = PartitionWaves.ONE_WAVE;
		private Tasklet manifest;
		private final List<JobExecutionListener> jobListeners = new ArrayList<>();

		private Builder(String jobName, String stepPrefix) {
			this.jobName = jobName;
			this.stepPrefix = stepPrefix;
		}

		public Builder plan(Tasklet plan, StepExecutionListener... listeners) {
			this.plan = plan;
			planListeners.addAll(List.of(listeners));
			return this;
		}

		/** The worker step, run once per partition under HAPI's transaction manager. */
		public Builder worker(String stepName, Tasklet worker, StepExecutionListener... listeners) {
			return worker(stepName, worker, null, listeners);
		}

		/** The worker step, under a transaction manager of its own (one that opens its own transactions). */
		public Builder worker(String stepName, Tasklet worker, PlatformTransactionManager transactions,
				StepExecutionListener... listeners) {
			this.workerStepName = stepName;
			this.worker = worker;
			this.workerTransactions = transactions;
			workerListeners.addAll(List.of(listeners));
			return this;
		}

		public Builder partitions(Function<JobExecution, Map<String, ExecutionContext>> partitions) {
			this.partitions = partitions;
			return this;
		}

		/** Without it every partition runs in one wave. */
		public Builder waves(PartitionWaves waves) {
			this.waves = waves;
			return this;
		}

		public Builder manifest(Tasklet manifest) {
			this.manifest = manifest;
			return this;
		}

		/** Registered after the frame's job state listener, so its {@code afterJob} runs first. */
		public Builder listener(JobExecutionListener listener) {
			jobListeners.add(listener);
			return this;
		}

		public BulkJobDefinition build() {
			return new BulkJobDefinition(jobName, stepPrefix, plan, planListeners, workerStepName, worker,
					workerTransactions, workerListeners, partitions, waves, manifest, jobListeners);
		}
	}
}
