package hapibulk.bench;

/** The highest heap use seen while a contender runs, sampled every 10 ms (after a GC before the run). */
final class HeapSampler implements AutoCloseable {

	private final Thread thread;
	private volatile boolean running = true;
	private volatile long peak;

	HeapSampler() {
		System.gc();
		Runtime runtime = Runtime.getRuntime();
		peak = runtime.totalMemory() - runtime.freeMemory();
		thread = new Thread(() -> {
			while (running) {
				peak = Math.max(peak, runtime.totalMemory() - runtime.freeMemory());
				try {
					Thread.sleep(10);
				} catch (InterruptedException e) {
					return;
				}
			}
		}, "bench-heap-sampler");
		thread.setDaemon(true);
		thread.start();
	}

	long peakMb() {
		return peak / (1024 * 1024);
	}

	@Override
	public void close() throws InterruptedException {
		running = false;
		thread.join();
	}
}
