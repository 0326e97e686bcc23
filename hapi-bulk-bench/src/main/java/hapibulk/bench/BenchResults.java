package hapibulk.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.bench.Contenders.Role;
import hapibulk.bench.CpuMeter.CpuUse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of a benchmark run: the summary lines, a table, and the same as JSON. */
final class BenchResults {

	/**
	 * One contender's runs of one operation on one database, with the CPU each run used. Empty
	 * {@code seconds}: not measured (n/a).
	 */
	record Measured(List<Double> seconds, List<CpuUse> cpu, long peakHeapMb, long resources, String note) {
		static Measured missing(String why) {
			return new Measured(List.of(), List.of(), -1, -1, why);
		}

		Double median() {
			return BenchResults.median(seconds);
		}

		Double medianJvmCpu() {
			return BenchResults.median(cpu.stream().map(CpuUse::jvmSeconds).toList());
		}

		/** Null when the machine's CPU time is unknown (not Linux). */
		Double medianOtherCpu() {
			return cpu.stream().anyMatch(use -> use.otherSeconds() < 0) ? null
					: BenchResults.median(cpu.stream().map(CpuUse::otherSeconds).toList());
		}
	}

	/** One summary line: an operation on a database, with a figure per role. */
	record Row(String operation, String database, int resources, Map<Role, Measured> byRole) {
		Double ratio(Role numerator, Role denominator) {
			Measured top = byRole.get(numerator);
			Measured bottom = byRole.get(denominator);
			return top == null || bottom == null || top.median() == null || bottom.median() == null
					? null : top.median() / bottom.median();
		}

		String line() {
			Measured ours = byRole.get(Role.OURS);
			return String.format(Locale.ROOT,
					"%s %s resources=%d builtin_s=%s ours_s=%s floor_s=%s ours_vs_builtin=%s ours_vs_floor=%s peak_heap_mb=%s",
					operation, database, resources, seconds(Role.BUILTIN), seconds(Role.OURS), seconds(Role.FLOOR),
					format(ratio(Role.BUILTIN, Role.OURS), "%.1fx"), format(ratio(Role.FLOOR, Role.OURS), "%.2f"),
					ours == null || ours.peakHeapMb() < 0 ? "n/a" : Long.toString(ours.peakHeapMb()));
		}

		private String seconds(Role role) {
			Measured measured = byRole.get(role);
			return format(measured == null ? null : measured.median(), "%.2f");
		}

		/** Where each contender's CPU went: this JVM, and the rest of the machine (the local database). */
		String cpuLine() {
			StringBuilder line = new StringBuilder("cpu " + operation + " " + database);
			for (Role role : Role.values()) {
				Measured measured = byRole.get(role);
				if (measured != null && measured.median() != null) {
					String who = role.name().toLowerCase(Locale.ROOT);
					line.append(String.format(Locale.ROOT, " %s_jvm_cpu_s=%s %s_other_cpu_s=%s", who,
							format(measured.medianJvmCpu(), "%.1f"), who, format(measured.medianOtherCpu(), "%.1f")));
				}
			}
			return line.toString();
		}
	}

	private final List<Row> rows = new ArrayList<>();
	private final List<String> perResource = new ArrayList<>();
	private final Map<String, HttpLatency.Figures> latencies = new java.util.LinkedHashMap<>();
	private final Map<String, Object> parameters;

	BenchResults(Map<String, Object> parameters) {
		this.parameters = parameters;
	}

	static Map<Role, Measured> newRoleMap() {
		return new EnumMap<>(Role.class);
	}

	void add(Row row) {
		rows.add(row);
		System.out.println(row.line());
		System.out.println(row.cpuLine());
	}

	/**
	 * How an operation's time per exported resource compares with the system export's (ours, same
	 * database, same process): 1.0 is as fast per resource, 2.0 twice as slow.
	 */
	void addPerResourceRatio(String database, String operation, Measured measured, Measured system) {
		Double ratio = measured.median() == null || system == null || system.median() == null || measured.resources() <= 0
				|| system.resources() <= 0 ? null
				: (measured.median() / measured.resources()) / (system.median() / system.resources());
		String line = String.format(Locale.ROOT, "per-resource %s %s resources=%d s=%s system_resources=%d system_s=%s"
				+ " time_per_resource_vs_system=%s", operation, database, measured.resources(),
				format(measured.median(), "%.2f"), system == null ? -1 : system.resources(),
				format(system == null ? null : system.median(), "%.2f"), format(ratio, "%.2f"));
		perResource.add(line);
		System.out.println(line);
	}

	void addLatency(String database, HttpLatency.Figures figures) {
		latencies.put(database, figures);
		System.out.println(figures.line(database));
	}

	void print() {
		System.out.println();
		System.out.println("==== hapi-bulk benchmark ====");
		rows.forEach(row -> System.out.println(row.line()));
		rows.forEach(row -> System.out.println(row.cpuLine()));
		perResource.forEach(System.out::println);
		latencies.forEach((database, figures) -> System.out.println(figures.line(database)));
		System.out.println();
		System.out.println(String.format(Locale.ROOT, "| %-9s | %-8s | %9s | %-7s | %9s | %-28s | %10s | %10s | %10s | %12s | %s |",
				"operation", "database", "resources", "who", "median_s", "runs_s", "resources/s", "peak_heap_mb",
				"jvm_cpu_s", "other_cpu_s", "note"));
		System.out.println("|-----------|----------|-----------|---------|-----------|------------------------------|-------------|--------------|------------|--------------|------|");
		for (Row row : rows) {
			for (Role role : Role.values()) {
				Measured m = row.byRole().getOrDefault(role, Measured.missing("not run"));
				Double median = m.median();
				System.out.println(String.format(Locale.ROOT, "| %-9s | %-8s | %9d | %-7s | %9s | %-28s | %11s | %12s | %10s | %12s | %s |",
						row.operation(), row.database(), row.resources(), role.name().toLowerCase(Locale.ROOT),
						format(median, "%.2f"), m.seconds().stream().map(s -> format(s, "%.2f")).toList(),
						median == null ? "n/a" : String.format(Locale.ROOT, "%.0f", row.resources() / median),
						m.peakHeapMb() < 0 ? "n/a" : Long.toString(m.peakHeapMb()), format(m.medianJvmCpu(), "%.1f"),
						format(m.medianOtherCpu(), "%.1f"), m.note()));
			}
		}
	}

	void writeJson(Path file) throws IOException {
		ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
		ObjectNode root = mapper.createObjectNode();
		root.put("finished", Instant.now().toString());
		root.set("parameters", mapper.valueToTree(parameters));
		ArrayNode results = root.putArray("results");
		for (Row row : rows) {
			ObjectNode node = results.addObject();
			node.put("operation", row.operation());
			node.put("database", row.database());
			node.put("resources", row.resources());
			for (Role role : Role.values()) {
				Measured m = row.byRole().getOrDefault(role, Measured.missing("not run"));
				ObjectNode who = node.putObject(role.name().toLowerCase(Locale.ROOT));
				who.put("median_s", m.median());
				m.seconds().forEach(who.putArray("runs_s")::add);
				who.put("peak_heap_mb", m.peakHeapMb() < 0 ? null : m.peakHeapMb());
				who.put("resources_written", m.resources() < 0 ? null : m.resources());
				who.put("jvm_cpu_s", m.medianJvmCpu());
				who.put("other_cpu_s", m.medianOtherCpu());
				who.put("note", m.note());
			}
			node.put("ours_vs_builtin", row.ratio(Role.BUILTIN, Role.OURS));
			node.put("ours_vs_floor", row.ratio(Role.FLOOR, Role.OURS));
			node.put("line", row.line());
			node.put("cpu_line", row.cpuLine());
		}
		perResource.forEach(root.putArray("per_resource")::add);
		ObjectNode latency = root.putObject("latency");
		latencies.forEach((database, figures) -> latency.set(database, mapper.valueToTree(figures)));
		Files.createDirectories(file.getParent());
		mapper.writeValue(file.toFile(), root);
	}

	static Double median(List<Double> values) {
		if (values.isEmpty()) {
			return null;
		}
		List<Double> sorted = values.stream().sorted().toList();
		int middle = sorted.size() / 2;
		return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
	}

	private static String format(Double value, String pattern) {
		return value == null ? "n/a" : String.format(Locale.ROOT, pattern, value);
	}
}
