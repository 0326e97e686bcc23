package hapibulk.bench;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.batch2.model.JobInstance;
import ca.uhn.fhir.batch2.model.JobInstanceStartRequest;
import ca.uhn.fhir.batch2.model.StatusEnum;
import ca.uhn.fhir.model.api.IModelJson;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;

/**
 * Runs one of HAPI's own Batch2 jobs to its end with its best settings: a maintenance pass (which
 * moves a Batch2 job from step to step) every 250 ms instead of HAPI's default minute.
 */
final class BuiltinBatch2Jobs {

	private static final long MAINTENANCE_INTERVAL_MS = 250;

	private final IJobCoordinator coordinator;
	private final IJobMaintenanceService maintenance;

	BuiltinBatch2Jobs(IJobCoordinator coordinator, IJobMaintenanceService maintenance) {
		this.coordinator = coordinator;
		this.maintenance = maintenance;
	}

	/** Starts the job and returns its instance once it ended; fails unless it completed. */
	JobInstance runToEnd(String jobDefinitionId, IModelJson parameters) throws InterruptedException {
		JobInstanceStartRequest request = new JobInstanceStartRequest(jobDefinitionId, parameters);
		request.setUseCache(false);
		String id = coordinator.startInstance(new SystemRequestDetails(), request).getInstanceId();
		long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(30);
		while (System.nanoTime() < deadline) {
			maintenance.runMaintenancePass();
			JobInstance instance = coordinator.getInstance(id);
			if (instance.getStatus() == StatusEnum.COMPLETED) {
				return instance;
			}
			if (instance.getStatus().isEnded()) {
				throw new IllegalStateException(jobDefinitionId + " job " + id + " ended " + instance.getStatus() + ": "
						+ instance.getErrorMessage());
			}
			Thread.sleep(MAINTENANCE_INTERVAL_MS);
		}
		coordinator.cancelInstance(id);
		throw new IllegalStateException(jobDefinitionId + " job " + id + " did not end within 30 minutes");
	}
}
