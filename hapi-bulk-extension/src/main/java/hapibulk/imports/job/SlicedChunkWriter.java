package hapibulk.imports.job;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Stores a chunk's resources as contiguous slices written at once, each in its own transaction:
 * HAPI's write path is one resource after another, so one transaction uses one core and one
 * connection. The calling thread writes the first slice, the writer pool the others, and the call
 * returns only when every slice has ended, so no write of the chunk is still running when the
 * caller moves its cursor or starts over line by line.
 * <p>
 * A slice may commit while another fails. That is safe because every write is an update-as-create
 * with the resource's own id: writing the chunk again stores nothing new.
 */
class SlicedChunkWriter {

	private final ImportResourceStore store;
	private final TransactionTemplate transaction;
	private final AsyncTaskExecutor writers;
	private final int maxSlices;
	private final int minSliceSize;

	/**
	 * @param maxSlices    at most this many slices per chunk (1: the chunk is one transaction)
	 * @param minSliceSize a chunk is cut only into slices of at least this many resources
	 */
	SlicedChunkWriter(ImportResourceStore store, TransactionTemplate transaction, AsyncTaskExecutor writers,
			int maxSlices, int minSliceSize) {
		this.store = store;
		this.transaction = transaction;
		this.writers = writers;
		this.maxSlices = Math.max(1, maxSlices);
		this.minSliceSize = Math.max(1, minSliceSize);
	}

	/** Returns once all of them are committed; throws the first failure, after every slice has ended. */
	void write(List<IBaseResource> resources) {
		if (resources.isEmpty()) {
			return;
		}
		List<List<IBaseResource>> slices = slices(resources);
		List<Future<?>> others = new ArrayList<>();
		RuntimeException failure = null;
		try {
			for (List<IBaseResource> slice : slices.subList(1, slices.size())) {
				others.add(writers.submit(() -> writeSlice(slice)));
			}
			writeSlice(slices.get(0));
		} catch (RuntimeException e) {
			failure = e;
		}
		for (Future<?> other : others) {
			RuntimeException otherFailure = await(other);
			if (failure == null) {
				failure = otherFailure;
			}
		}
		if (failure != null) {
			throw failure;
		}
	}

	List<List<IBaseResource>> slices(List<IBaseResource> resources) {
		int count = Math.max(1, Math.min(maxSlices, resources.size() / minSliceSize));
		List<List<IBaseResource>> slices = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			slices.add(resources.subList(resources.size() * i / count, resources.size() * (i + 1) / count));
		}
		return slices;
	}

	private void writeSlice(List<IBaseResource> slice) {
		transaction.executeWithoutResult(status -> store.store(slice));
	}

	private static RuntimeException await(Future<?> future) {
		boolean interrupted = false;
		try {
			while (true) {
				try {
					future.get();
					return null;
				} catch (InterruptedException e) {
					// The slice is writing: it must end before the caller goes on, whatever asked us to stop.
					interrupted = true;
				} catch (ExecutionException e) {
					if (e.getCause() instanceof Error error) {
						throw error;
					}
					return e.getCause() instanceof RuntimeException runtime ? runtime
							: new IllegalStateException("A slice of an import chunk failed", e.getCause());
				}
			}
		} finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}
}
