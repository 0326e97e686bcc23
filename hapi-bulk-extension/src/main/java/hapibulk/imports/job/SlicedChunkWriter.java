package hapibulk.imports.job;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
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
 * A slice may commit while another fails. The failure then names what the committed slices wrote,
 * and the caller's line-by-line retry counts those lines without writing them again.
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

	/**
	 * Returns once all of them are committed, with the resources the rights did not allow (not
	 * written); throws the first failure, after every slice has ended, with what the committed
	 * slices wrote ({@link PartlyWrittenException}).
	 */
	List<ImportResourceStore.Refusal> write(List<IBaseResource> resources, WriteRights rights) {
		if (resources.isEmpty()) {
			return List.of();
		}
		List<List<IBaseResource>> slices = slices(resources);
		List<Future<List<ImportResourceStore.Refusal>>> others = new ArrayList<>();
		List<ImportResourceStore.Refusal> refused = new ArrayList<>();
		List<IBaseResource> written = new ArrayList<>();
		RuntimeException failure = null;
		try {
			for (List<IBaseResource> slice : slices.subList(1, slices.size())) {
				others.add(writers.submit(() -> writeSlice(slice, rights)));
			}
			refused.addAll(committed(slices.get(0), writeSlice(slices.get(0), rights), written));
		} catch (RuntimeException e) {
			failure = e;
		}
		for (int i = 0; i < others.size(); i++) {
			try {
				refused.addAll(committed(slices.get(i + 1), await(others.get(i)), written));
			} catch (RuntimeException otherFailure) {
				if (failure == null) {
					failure = otherFailure;
				}
			}
		}
		if (failure != null) {
			throw new PartlyWrittenException(failure, written);
		}
		return refused;
	}

	List<List<IBaseResource>> slices(List<IBaseResource> resources) {
		int count = Math.max(1, Math.min(maxSlices, resources.size() / minSliceSize));
		List<List<IBaseResource>> slices = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			slices.add(resources.subList(resources.size() * i / count, resources.size() * (i + 1) / count));
		}
		return slices;
	}

	/** Adds what a committed slice wrote (all but its refusals) to {@code written}; returns the refusals. */
	private static List<ImportResourceStore.Refusal> committed(List<IBaseResource> slice,
			List<ImportResourceStore.Refusal> refusals, List<IBaseResource> written) {
		Set<IBaseResource> refused = Collections.newSetFromMap(new IdentityHashMap<>());
		refusals.forEach(refusal -> refused.add(refusal.resource()));
		slice.stream().filter(resource -> !refused.contains(resource)).forEach(written::add);
		return refusals;
	}

	private List<ImportResourceStore.Refusal> writeSlice(List<IBaseResource> slice, WriteRights rights) {
		return transaction.execute(status -> store.store(slice, rights));
	}

	/** The slice's refusals once it has ended; its failure is thrown. */
	private static <T> T await(Future<T> future) {
		boolean interrupted = false;
		try {
			while (true) {
				try {
					return future.get();
				} catch (InterruptedException e) {
					// The slice is writing: it must end before the caller goes on, whatever asked us to stop.
					interrupted = true;
				} catch (ExecutionException e) {
					if (e.getCause() instanceof Error error) {
						throw error;
					}
					throw e.getCause() instanceof RuntimeException runtime ? runtime
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
