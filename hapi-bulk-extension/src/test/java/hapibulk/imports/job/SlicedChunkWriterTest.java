package hapibulk.imports.job;

import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Organization;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.batch.support.transaction.ResourcelessTransactionManager;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How a chunk is cut and when {@link SlicedChunkWriter#write} returns. The store is a stand-in only
 * to inject a failure and a slow slice; {@code ImportJobTest} runs the real one over HAPI.
 */
class SlicedChunkWriterTest {

	private final ThreadPoolTaskExecutor writers = new ThreadPoolTaskExecutor();

	SlicedChunkWriterTest() {
		writers.setCorePoolSize(4);
		writers.initialize();
	}

	@AfterEach
	void shutDown() {
		writers.shutdown();
	}

	@Test
	void slices_areContiguous_coverEveryResourceOnce_andNeverSmallerThanTheMinimum() {
		SlicedChunkWriter writer = writer(new RecordingStore(), 3, 100);

		assertThat(writer.slices(resources(1000))).extracting(List::size).containsExactly(333, 333, 334);
		assertThat(writer.slices(resources(250))).extracting(List::size).containsExactly(125, 125);
		assertThat(writer.slices(resources(99))).extracting(List::size).containsExactly(99);
		List<IBaseResource> chunk = resources(1000);
		assertThat(writer.slices(chunk).stream().flatMap(List::stream).toList()).containsExactlyElementsOf(chunk);
	}

	@Test
	void write_storesEverySlice_onMoreThanOneThread() {
		RecordingStore store = new RecordingStore();

		writer(store, 2, 100).write(resources(400), WriteRights.ALL);

		assertThat(store.stored).hasSize(400);
		assertThat(store.threads).hasSize(2);
	}

	@Test
	void aFailingSlice_failsTheWrite_onlyAfterTheOtherSlicesEnded() throws InterruptedException {
		CountDownLatch secondSliceStarted = new CountDownLatch(1);
		AtomicBoolean secondSliceEnded = new AtomicBoolean();
		RecordingStore store = new RecordingStore() {
			@Override
			List<Refusal> store(List<IBaseResource> resources, WriteRights rights) {
				if (resources.get(0).getIdElement().getIdPart().equals("org-0")) {
					await(secondSliceStarted);
					throw new IllegalStateException("refused");
				}
				secondSliceStarted.countDown();
				sleep(300);
				super.store(resources, rights);
				secondSliceEnded.set(true);
				return List.of();
			}
		};

		assertThatThrownBy(() -> writer(store, 2, 100).write(resources(400), WriteRights.ALL)).hasMessage("refused");
		assertThat(secondSliceEnded).as("the other slice ended before write returned").isTrue();
		assertThat(store.stored).hasSize(200);
	}

	private SlicedChunkWriter writer(ImportResourceStore store, int maxSlices, int minSliceSize) {
		return new SlicedChunkWriter(store, new TransactionTemplate(new ResourcelessTransactionManager()), writers,
				maxSlices, minSliceSize);
	}

	private static List<IBaseResource> resources(int count) {
		List<IBaseResource> resources = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			resources.add(new Organization().setId("org-" + i));
		}
		return resources;
	}

	private static void await(CountDownLatch latch) {
		try {
			assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
		} catch (InterruptedException e) {
			throw new IllegalStateException(e);
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		} catch (InterruptedException e) {
			throw new IllegalStateException(e);
		}
	}

	/** Keeps what it was given and the threads that gave it. */
	private static class RecordingStore extends ImportResourceStore {
		final List<IBaseResource> stored = Collections.synchronizedList(new ArrayList<>());
		final Set<String> threads = ConcurrentHashMap.newKeySet();

		RecordingStore() {
			super(null, null, null);
		}

		@Override
		List<Refusal> store(List<IBaseResource> resources, WriteRights rights) {
			threads.add(Thread.currentThread().getName());
			stored.addAll(resources);
			return List.of();
		}
	}
}
