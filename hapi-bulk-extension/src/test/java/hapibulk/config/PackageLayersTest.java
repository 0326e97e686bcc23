package hapibulk.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The house as docs/how-it-works.md draws it, read from the main sources: a package may use only packages
 * of a lower layer (and itself), never one beside it or above it; and no main file is over 400 lines.
 * Sub-packages belong to their package ({@code export.job} to {@code export}), except {@code job.recovery},
 * a layer of its own above {@code job}.
 */
class PackageLayersTest {

	/** Rank of each package: higher layers may use lower ones. */
	private static final Map<String, Integer> LAYERS = Map.ofEntries(
			Map.entry("config", 9),
			// $bulk-submit: a front door to the import job (and reads the status manifests' renderer)
			Map.entry("submit", 8),
			Map.entry("export", 7), Map.entry("imports", 7), Map.entry("admin", 7), Map.entry("cluster", 7),
			Map.entry("status", 6),
			Map.entry("job.recovery", 5),
			Map.entry("job", 4),
			Map.entry("storage", 3), Map.entry("auth", 3), Map.entry("deid", 3),
			// Which HAPI partition a request is in (above audit: its records name the tenant).
			Map.entry("tenant", 2),
			Map.entry("audit", 1), Map.entry("metrics", 1),
			// The shared mapper, error codes and answers: everything may use them, they use nothing of ours.
			Map.entry("support", 0));

	private static final Path MAIN_SOURCES = Path.of("src", "main", "java");
	private static final Pattern PACKAGE = Pattern.compile("(?m)^package hapibulk\\.([\\w.]+);");
	/** Any use of one of our classes by name: imports, static imports, qualified names, javadoc links. */
	private static final Pattern USE = Pattern.compile("\\bhapibulk\\.([a-z][\\w]*(?:\\.[a-z][\\w]*)*)\\.[A-Z]");
	private static final int MAX_LINES = 400;

	@Test
	void noPackageUsesOneBesideOrAboveIt() throws IOException {
		List<String> upward = new ArrayList<>();
		for (Path file : mainSources()) {
			String text = Files.readString(file);
			String from = layerOf(PACKAGE.matcher(text).results().findFirst().orElseThrow().group(1));
			String code = text.replaceFirst("(?m)^package .*$", "");
			Matcher use = USE.matcher(code);
			while (use.find()) {
				String to = layerOf(use.group(1));
				if (!to.equals(from) && LAYERS.get(to) >= LAYERS.get(from)) {
					upward.add(MAIN_SOURCES.relativize(file) + ": " + from + " -> " + to);
				}
			}
		}
		assertThat(upward).as("uses of a package beside or above").isEmpty();
	}

	@Test
	void noMainFileIsOver400Lines() throws IOException {
		List<String> large = new ArrayList<>();
		for (Path file : mainSources()) {
			long lines = Files.readAllLines(file).size();
			if (lines > MAX_LINES) {
				large.add(MAIN_SOURCES.relativize(file) + ": " + lines);
			}
		}
		assertThat(large).as("main files over " + MAX_LINES + " lines").isEmpty();
	}

	/** The layer of a package under hapibulk: the longest known prefix; fails for a package the house does not name. */
	private static String layerOf(String pkg) {
		String layer = pkg;
		while (!LAYERS.containsKey(layer)) {
			int dot = layer.lastIndexOf('.');
			assertThat(dot).as("hapibulk.%s is in no layer of PackageLayersTest", pkg).isPositive();
			layer = layer.substring(0, dot);
		}
		return layer;
	}

	private static List<Path> mainSources() throws IOException {
		try (Stream<Path> files = Files.walk(MAIN_SOURCES)) {
			List<Path> sources = files.filter(path -> path.toString().endsWith(".java")).sorted().toList();
			assertThat(sources).as("main sources under " + MAIN_SOURCES.toAbsolutePath()).hasSizeGreaterThan(100);
			return sources;
		}
	}
}
