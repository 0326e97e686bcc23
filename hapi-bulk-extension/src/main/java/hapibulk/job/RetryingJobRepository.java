package hapibulk.job;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.explore.JobExplorer;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Supplier;

/**
 * The job repository, retrying its calls outside chunk transactions (a step's start and end, a job's
 * start and end) on transient database errors, with the chunk retry's backoff. Without it a step that
 * ends while the database is away is recorded UNKNOWN and its job stops, though every chunk was safe.
 * <p>
 * Calls inside a transaction are never retried here: that transaction is lost, and the chunk retry
 * ({@link ChunkRetryOnTransientErrors}) runs the whole chunk again. Before a retry the execution's
 * version is read back, since a write whose commit failed may or may not have moved it.
 */
final class RetryingJobRepository implements InvocationHandler {

	private static final Logger LOG = LoggerFactory.getLogger(RetryingJobRepository.class);

	private final JobRepository target;
	private final Supplier<JobExplorer> explorer;
	private final RecoverySettings settings;

	private RetryingJobRepository(JobRepository target, Supplier<JobExplorer> explorer, RecoverySettings settings) {
		this.target = target;
		this.explorer = explorer;
		this.settings = settings;
	}

	static JobRepository wrap(JobRepository target, Supplier<JobExplorer> explorer, RecoverySettings settings) {
		return (JobRepository) Proxy.newProxyInstance(JobRepository.class.getClassLoader(),
				new Class<?>[] {JobRepository.class}, new RetryingJobRepository(target, explorer, settings));
	}

	@Override
	public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
		if (method.getDeclaringClass() == Object.class) {
			return method.invoke(target, args);
		}
		for (int attempt = 1; ; attempt++) {
			try {
				return method.invoke(target, args);
			} catch (InvocationTargetException e) {
				Throwable error = e.getCause();
				if (!TransientDatabaseErrors.isTransient(error) || attempt > settings.retryAttempts()
						|| TransactionSynchronizationManager.isActualTransactionActive()) {
					throw error;
				}
				LOG.warn("Job repository {}: transient database error; retry {} of {}", method.getName(), attempt,
						settings.retryAttempts());
				Thread.sleep(settings.backoff(attempt).toMillis());
				try {
					resyncVersions(args);
				} catch (RuntimeException stillAway) {
					if (!TransientDatabaseErrors.isTransient(stillAway)) {
						throw stillAway;
					}
				}
			}
		}
	}

	private void resyncVersions(Object[] args) {
		if (args == null) {
			return;
		}
		for (Object arg : args) {
			if (arg instanceof StepExecution step && step.getId() != null && step.getJobExecutionId() != null) {
				StepExecution stored = explorer.get().getStepExecution(step.getJobExecutionId(), step.getId());
				if (stored != null) {
					step.setVersion(stored.getVersion());
				}
			} else if (arg instanceof JobExecution job && job.getId() != null) {
				JobExecution stored = explorer.get().getJobExecution(job.getId());
				if (stored != null) {
					job.setVersion(stored.getVersion());
				}
			}
		}
	}
}
