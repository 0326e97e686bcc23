package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The shared Synthea data multiplied for the cluster test: copy {@code k} of every resource gets the id
 * {@code c<k>-<id>}, and every reference is rewritten to the same copy (inline match URLs such as
 * {@code Practitioner?identifier=...} are resolved to the copy's own resource, since the copies share
 * identifiers). Each copy of each type is one NDJSON file; the test keeps every key, the count per type and
 * a sample of the resources (to compare contents), not the whole data in memory.
 */
final class ClusterDataset {

	/** One in this many resources is kept whole, to compare with what the server gives back. */
	private static final int SAMPLE_EVERY = 40;

	/** Each NDJSON file, in dependency order: its type and its path. */
	private final List<Map.Entry<String, Path>> files = new ArrayList<>();
	private final Set<String> keys = new HashSet<>();
	private final Map<String, Long> countByType = new TreeMap<>();
	private final Map<String, ObjectNode> sample = new LinkedHashMap<>();

	private ClusterDataset() {}

	/** Writes {@code copies} copies of the ten-patient data into {@code directory}. */
	static ClusterDataset write(Path directory, int copies) {
		SyntheaDataset synthea = SyntheaDataset.tenPatients();
		Map<String, String> matchUrlTargets = matchUrlTargets(synthea);
		ClusterDataset dataset = new ClusterDataset();
		try {
			for (int copy = 1; copy <= copies; copy++) {
				String prefix = "c" + copy + "-";
				Map<String, BufferedWriter> writers = new LinkedHashMap<>();
				for (String type : SyntheaDataset.DEPENDENCY_ORDER) {
					Path file = directory.resolve("c" + copy).resolve(type + ".ndjson");
					Files.createDirectories(file.getParent());
					writers.put(type, Files.newBufferedWriter(file));
					dataset.files.add(Map.entry(type, file));
				}
				for (Map.Entry<String, ObjectNode> entry : synthea.resources().entrySet()) {
					String type = entry.getKey().split("/")[0];
					ObjectNode resource = entry.getValue().deepCopy();
					resource.put("id", prefix + resource.get("id").asText());
					rewriteReferences(resource, prefix, synthea.resources().keySet(), matchUrlTargets);
					writers.get(type).write(resource.toString());
					writers.get(type).newLine();
					String key = type + "/" + resource.get("id").asText();
					dataset.keys.add(key);
					dataset.countByType.merge(type, 1L, Long::sum);
					if (dataset.keys.size() % SAMPLE_EVERY == 0) {
						resource.remove("meta");
						dataset.sample.put(key, resource);
					}
				}
				for (BufferedWriter writer : writers.values()) {
					writer.close();
				}
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return dataset;
	}

	int size() {
		return keys.size();
	}

	Set<String> keys() {
		return keys;
	}

	Map<String, Long> countByType() {
		return countByType;
	}

	/** Resources kept whole (without meta), by "Type/id". */
	Map<String, ObjectNode> sample() {
		return sample;
	}

	/** Each file as (type, path), referenced types first. */
	List<Map.Entry<String, Path>> files() {
		return files;
	}

	/** {@code Type?identifier=system|value} → "Type/id" of the original resource it names. */
	private static Map<String, String> matchUrlTargets(SyntheaDataset synthea) {
		Map<String, String> targets = new HashMap<>();
		synthea.resources().forEach((key, resource) -> resource.path("identifier").forEach(identifier ->
				targets.put(key.split("/")[0] + "?identifier=" + identifier.path("system").asText() + "|"
						+ identifier.path("value").asText(), key)));
		return targets;
	}

	private static void rewriteReferences(JsonNode node, String prefix, Set<String> originalKeys,
			Map<String, String> matchUrlTargets) {
		if (node instanceof ObjectNode object) {
			if (object.get("reference") instanceof TextNode reference) {
				String target = reference.asText().contains("?") ? matchUrlTargets.get(reference.asText())
						: reference.asText();
				if (target == null || !originalKeys.contains(target)) {
					throw new IllegalStateException("A reference outside the dataset: " + reference.asText());
				}
				String[] typeAndId = target.split("/");
				object.put("reference", typeAndId[0] + "/" + prefix + typeAndId[1]);
			}
			object.forEach(child -> rewriteReferences(child, prefix, originalKeys, matchUrlTargets));
		} else if (node instanceof ArrayNode array) {
			array.forEach(child -> rewriteReferences(child, prefix, originalKeys, matchUrlTargets));
		}
	}
}
