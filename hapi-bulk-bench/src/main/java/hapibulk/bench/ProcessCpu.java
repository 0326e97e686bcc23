package hapibulk.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU seconds a process has used so far (user + system, Linux {@code /proc/<pid>/stat}), for the cluster
 * benchmark's per-process figures: the worker JVMs, this JVM, and the database and broker processes by name.
 * Negative when unknown (not Linux, or the process is gone).
 */
final class ProcessCpu {

	/** The kernel's clock ticks per second for {@code /proc}: USER_HZ, 100 on every mainstream Linux. */
	private static final double TICKS_PER_SECOND = 100;

	private ProcessCpu() {}

	static double seconds(long pid) {
		try {
			return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / TICKS_PER_SECOND;
		} catch (IOException | RuntimeException e) {
			return -1;
		}
	}

	/** CPU seconds of every process whose command name is {@code name} (e.g. beam.smp), by process id. */
	static Map<Long, Double> secondsByPid(String name) {
		Map<Long, Double> byPid = new HashMap<>();
		try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
			processes.filter(dir -> dir.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(dir -> {
				try {
					String stat = Files.readString(dir.resolve("stat"));
					if (name.equals(command(stat))) {
						byPid.put(Long.valueOf(dir.getFileName().toString()), ticks(stat) / TICKS_PER_SECOND);
					}
				} catch (IOException | RuntimeException gone) {
					// ended meanwhile
				}
			});
		} catch (IOException e) {
			// not Linux: none known
		}
		return byPid;
	}

	/**
	 * CPU used between two readings by the processes of {@code before} still alive in {@code after}: a process
	 * that started or ended in between (another session's short-lived tool) is left out, not half counted.
	 */
	static double usedBetween(Map<Long, Double> before, Map<Long, Double> after) {
		return after.entrySet().stream().filter(entry -> before.containsKey(entry.getKey()))
				.mapToDouble(entry -> entry.getValue() - before.get(entry.getKey())).sum();
	}

	/** {@code pid (comm) state ppid ...}: the command name may hold spaces and parentheses, so up to the last ')'. */
	private static String command(String stat) {
		return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
	}

	/** utime and stime: fields 14 and 15 of the line, the 12th and 13th after the command name. */
	private static long ticks(String stat) {
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
		return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
	}
}
