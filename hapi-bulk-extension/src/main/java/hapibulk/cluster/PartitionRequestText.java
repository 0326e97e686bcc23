package hapibulk.cluster;

import org.springframework.batch.integration.partition.StepExecutionRequest;

/**
 * A partition request as the text of a RabbitMQ message: {@code jobExecutionId:stepExecutionId:stepName}.
 * Plain text, not Java serialization, so that a message is readable in RabbitMQ's console and no node ever
 * deserializes objects it receives.
 */
final class PartitionRequestText {

	private PartitionRequestText() {}

	static String write(StepExecutionRequest request) {
		return request.getJobExecutionId() + ":" + request.getStepExecutionId() + ":" + request.getStepName();
	}

	/** @throws IllegalArgumentException when the text is not a request of ours */
	static StepExecutionRequest read(String text) {
		String[] parts = text.split(":", 3);
		if (parts.length != 3 || parts[2].isBlank()) {
			throw new IllegalArgumentException("Not a partition request: " + text);
		}
		try {
			return new StepExecutionRequest(parts[2], Long.valueOf(parts[0]), Long.valueOf(parts[1]));
		} catch (NumberFormatException e) {
			throw new IllegalArgumentException("Not a partition request: " + text, e);
		}
	}
}
