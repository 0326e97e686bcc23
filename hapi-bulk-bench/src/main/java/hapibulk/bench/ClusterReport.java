package hapibulk.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The cluster benchmark's figures: every run's lines, one table (docs/performance.md), and the same as JSON. */
final class ClusterReport {

	private final Map<String, Object> parameters;
	private final List<ClusterFigures> figures;

	ClusterReport(Map<String, Object> parameters, List<ClusterFigures> figures) {
		this.parameters = parameters;
		this.figures = figures;
	}

	void print() {
		System.out.println();
		System.out.println("==== hapi-bulk cluster benchmark ====");
		figures.forEach(run -> System.out.println(run.line()));
		figures.forEach(run -> System.out.println(run.perThousandLine()));
		System.out.println();
		System.out.println("| operation | workers | run | resources | s | resources/s | CPU s: accept / workers / S3 server"
				+ " / postgres / rabbitmq / other | partitions by node | per 1,000: messages | DB tx | DB table scans | DB rows written"
				+ " | S3 PUT / GET / LIST / DELETE / HEAD | CPU s (all listed) |");
		System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
		for (ClusterFigures run : figures) {
			Map<String, Double> cpu = run.cpuSeconds();
			System.out.println(String.format(Locale.ROOT,
					"| %s | %d | %d | %d | %.1f | %.0f | %.1f / %.1f / %.1f / %.1f / %.1f / %.1f | %s | %.2f | %.1f | %.1f | %.1f"
							+ " | %.2f / %.2f / %.2f / %.2f / %.2f | %.3f |",
					run.operation(), run.workers(), run.run(), run.resources(), run.seconds(), run.resourcesPerSecond(),
					cpu.get("accept"), run.workerCpu(), cpu.get("s3"), cpu.get("postgres"), cpu.get("rabbitmq"), cpu.get("other"),
					run.partitionsByNode(), run.perThousand(run.messages()), run.perThousand(run.own().transactions()),
					run.perThousand(run.own().tableScans()), run.perThousand(run.own().rowsWritten()),
					s3(run, "PUT"), s3(run, "GET"), s3(run, "LIST"), s3(run, "DELETE"), s3(run, "HEAD"),
					run.perThousand(run.cpuTotal())));
		}
	}

	private static double s3(ClusterFigures run, String operation) {
		return run.perThousand(run.s3Requests().getOrDefault(operation, 0L));
	}

	void writeJson(Path file) throws IOException {
		ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
		ObjectNode root = mapper.createObjectNode();
		root.put("finished", Instant.now().toString());
		root.set("parameters", mapper.valueToTree(parameters));
		ArrayNode runs = root.putArray("runs");
		for (ClusterFigures run : figures) {
			ObjectNode node = mapper.valueToTree(run);
			node.put("resources_per_s", run.resourcesPerSecond());
			node.set("database_own", mapper.valueToTree(run.own()));
			node.put("line", run.line());
			node.put("per_1000", run.perThousandLine());
			runs.add(node);
		}
		Files.createDirectories(file.getParent());
		mapper.writeValue(file.toFile(), root);
	}
}
