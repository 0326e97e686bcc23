package hapibulk.metrics;

import org.springframework.batch.core.ChunkListener;
import org.springframework.batch.core.StepExecutionListener;
import org.springframework.batch.core.scope.context.ChunkContext;

import java.time.Duration;

/**
 * Times each chunk (one transaction) of one step into {@code hapi.bulk.chunk.duration}. A step
 * listener as well, because a {@code StepBuilder} takes only step listeners before it becomes a tasklet
 * step, and Spring Batch registers step listeners that are chunk listeners as such when it builds one.
 * One instance serves every partition of the step, so the start time travels in the chunk's context.
 */
public final class ChunkTimer implements StepExecutionListener, ChunkListener {

	private static final String STARTED = ChunkTimer.class.getName() + ".started";

	private final BulkMetrics metrics;
	private final String step;

	public ChunkTimer(BulkMetrics metrics, String step) {
		this.metrics = metrics;
		this.step = step;
	}

	@Override
	public void beforeChunk(ChunkContext context) {
		context.setAttribute(STARTED, System.nanoTime());
	}

	@Override
	public void afterChunk(ChunkContext context) {
		record(context, "committed");
	}

	@Override
	public void afterChunkError(ChunkContext context) {
		record(context, "rolled-back");
	}

	private void record(ChunkContext context, String outcome) {
		if (context.getAttribute(STARTED) instanceof Long started) {
			context.removeAttribute(STARTED);
			metrics.chunk(step, outcome, Duration.ofNanos(System.nanoTime() - started));
		}
	}
}
