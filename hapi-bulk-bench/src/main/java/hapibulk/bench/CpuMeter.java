package hapibulk.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU seconds spent during one contender's run: by this JVM, and by everything else on the machine
 * (on the benchmark's otherwise idle machine, that is the local database server). Where the time
 * goes decides what a faster implementation could win: a run that keeps the database busy for
 * longer than the target leaves no room, whatever the Java side does. The machine's figure comes from
 * Linux's {@code /proc/stat}; elsewhere it is unknown (negative).
 */
final class CpuMeter {

	/** The CPU seconds of one run. {@code otherSeconds} is negative when the machine's total is unknown. */
	record CpuUse(double jvmSeconds, double otherSeconds) {}

	private static final Path PROC_STAT = Path.of("/proc/stat");
	/** The kernel's clock ticks per second for {@code /proc/stat}: USER_HZ, 100 on every mainstream Linux. */
	private static final double TICKS_PER_SECOND = 100;

	private final long jvmStart = jvmCpuNanos();
	private final long machineStart = machineBusyTicks();

	CpuUse stop() {
		double jvm = (jvmCpuNanos() - jvmStart) / 1e9;
		long machineEnd = machineBusyTicks();
		double other = machineStart < 0 || machineEnd < 0 ? -1
				: Math.max(0, (machineEnd - machineStart) / TICKS_PER_SECOND - jvm);
		return new CpuUse(jvm, other);
	}

	private static long jvmCpuNanos() {
		return ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime();
	}

	/** Busy CPU seconds of all cores since boot (negative if unknown): the cluster benchmark's machine total. */
	static double machineBusySeconds() {
		long ticks = machineBusyTicks();
		return ticks < 0 ? -1 : ticks / TICKS_PER_SECOND;
	}

	/** Busy ticks of all cores since boot: every column of the "cpu" line but idle and iowait; -1 if unknown. */
	private static long machineBusyTicks() {
		try {
			List<String> lines = Files.readAllLines(PROC_STAT);
			return lines.isEmpty() ? -1 : busyTicks(lines.get(0));
		} catch (IOException | RuntimeException e) {
			return -1;
		}
	}

	/** {@code cpu  user nice system idle iowait irq softirq steal ...} (guest time is already in user). */
	private static long busyTicks(String cpuLine) {
		String[] fields = cpuLine.trim().split("\\s+");
		if (!fields[0].equals("cpu") || fields.length < 9) {
			return -1;
		}
		long busy = 0;
		for (int column = 1; column <= 8; column++) {
			if (column != 4 && column != 5) {
				busy += Long.parseLong(fields[column]);
			}
		}
		return busy;
	}
}
