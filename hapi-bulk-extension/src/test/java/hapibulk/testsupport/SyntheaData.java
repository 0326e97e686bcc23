package hapibulk.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The shared Synthea bulk exports (src-it/datasets, copied unchanged from the public
 * smart-on-fhir/sample-bulk-fhir-datasets repository).
 */
public final class SyntheaData {

	/** Types in an order where every reference points back to an earlier type. */
	public static final List<String> DEPENDENCY_ORDER = List.of("Organization", "Location", "Practitioner",
			"PractitionerRole", "Patient", "Device", "Encounter", "Condition", "AllergyIntolerance", "Immunization",
			"MedicationRequest", "Procedure", "DocumentReference");

	private SyntheaData() {}

	public static Path tenPatients() {
		Path here = Path.of("").toAbsolutePath();
		for (Path dir = here; dir != null; dir = dir.getParent()) {
			Path candidate = dir.resolve("src-it/datasets/synthea-10-patients");
			if (Files.isDirectory(candidate)) {
				return candidate;
			}
		}
		throw new IllegalStateException("src-it/datasets/synthea-10-patients not found above " + here);
	}

	public static List<String> lines(String type) {
		try (var lines = Files.lines(tenPatients().resolve(type + ".000.ndjson"))) {
			return lines.filter(line -> !line.isBlank()).toList();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
