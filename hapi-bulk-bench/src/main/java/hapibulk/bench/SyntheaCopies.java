package hapibulk.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmark data of any size from the real Synthea export in {@code src-it/datasets}: whole copies of
 * it, each with new ids (every UUID mapped to a new one, per copy) and its references rewritten to
 * match. Synthea's inline match URLs ({@code Practitioner?identifier=...}) become plain references
 * to the copy's own resource, so copies never resolve into each other. The last copy is cut in
 * dependency order, so every reference still points to a resource of the set.
 */
final class SyntheaCopies {

	/** Types in an order where every reference points back to an earlier type. */
	static final List<String> DEPENDENCY_ORDER = List.of("Organization", "Location", "Practitioner",
			"PractitionerRole", "Patient", "Device", "Encounter", "Condition", "AllergyIntolerance", "Immunization",
			"MedicationRequest", "Procedure", "DocumentReference");

	private static final Pattern UUID_PATTERN =
			Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
	private static final Pattern MATCH_URL = Pattern.compile("\"reference\":\"(\\w+)\\?identifier=([^\"]+)\"");
	private static final ObjectMapper MAPPER = new ObjectMapper();

	/** One generated set: a directory with {@code Type.ndjson} files. */
	record DataSet(Path directory, Map<String, Integer> counts) {
		int total() {
			return counts.values().stream().mapToInt(Integer::intValue).sum();
		}

		Path file(String type) {
			return directory.resolve(type + ".ndjson");
		}
	}

	private final Map<String, List<String>> base = new LinkedHashMap<>();

	SyntheaCopies(Path datasets) {
		Map<String, String> byIdentifier = new HashMap<>();
		for (String type : DEPENDENCY_ORDER) {
			try (var lines = Files.lines(datasets.resolve(type + ".000.ndjson"))) {
				base.put(type, lines.filter(line -> !line.isBlank()).toList());
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
			for (String line : base.get(type)) {
				JsonNode resource = read(line);
				for (JsonNode identifier : resource.path("identifier")) {
					byIdentifier.put(type + "|" + identifier.path("system").asText() + "|" + identifier.path("value").asText(),
							resource.get("id").asText());
				}
			}
		}
		// Match URLs become references by id (still the original ids; each copy then maps them).
		base.replaceAll((type, lines) -> lines.stream().map(line -> resolveMatchUrls(line, byIdentifier)).toList());
	}

	int resourcesPerCopy() {
		return base.values().stream().mapToInt(List::size).sum();
	}

	/** Writes {@code resources} resources into {@code directory}, copies numbered from {@code firstCopy}. */
	DataSet write(Path directory, int resources, int firstCopy) {
		int copies = (resources + resourcesPerCopy() - 1) / resourcesPerCopy();
		Map<String, Integer> counts = new LinkedHashMap<>();
		try {
			Files.createDirectories(directory);
			int left = resources;
			Map<String, BufferedWriter> writers = new LinkedHashMap<>();
			for (String type : DEPENDENCY_ORDER) {
				writers.put(type, Files.newBufferedWriter(directory.resolve(type + ".ndjson"), StandardCharsets.UTF_8));
				counts.put(type, 0);
			}
			for (int copy = firstCopy; copy < firstCopy + copies && left > 0; copy++) {
				Map<String, String> ids = new HashMap<>();
				for (String type : DEPENDENCY_ORDER) {
					for (String line : base.get(type)) {
						if (left-- <= 0) {
							break;
						}
						writers.get(type).write(newIds(line, copy, ids));
						writers.get(type).write('\n');
						counts.merge(type, 1, Integer::sum);
					}
				}
			}
			for (BufferedWriter writer : writers.values()) {
				writer.close();
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return new DataSet(directory, counts);
	}

	private static String newIds(String line, int copy, Map<String, String> ids) {
		Matcher matcher = UUID_PATTERN.matcher(line);
		StringBuilder out = new StringBuilder(line.length());
		while (matcher.find()) {
			String id = ids.computeIfAbsent(matcher.group(),
					old -> UUID.nameUUIDFromBytes((old + "/" + copy).getBytes(StandardCharsets.UTF_8)).toString());
			matcher.appendReplacement(out, id);
		}
		matcher.appendTail(out);
		return out.toString();
	}

	private static String resolveMatchUrls(String line, Map<String, String> byIdentifier) {
		Matcher matcher = MATCH_URL.matcher(line);
		StringBuilder out = new StringBuilder(line.length());
		while (matcher.find()) {
			String id = byIdentifier.get(matcher.group(1) + "|" + matcher.group(2));
			if (id == null) {
				throw new IllegalStateException("No " + matcher.group(1) + " with identifier " + matcher.group(2));
			}
			matcher.appendReplacement(out, Matcher.quoteReplacement("\"reference\":\"" + matcher.group(1) + "/" + id + "\""));
		}
		matcher.appendTail(out);
		return out.toString();
	}

	private static JsonNode read(String line) {
		try {
			return MAPPER.readTree(line);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
