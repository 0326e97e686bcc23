package hapibulk.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The extension dropped into a host built and wired like hapi-fhir-jpaserver-starter (this module's
 * Boot line and dependency order), started as a real process with auth mode {@code none}: it
 * starts on the host's own Boot, its CapabilityStatement lists our operations from the first
 * answer, an import and an export of the shared Synthea data are exact, HAPI's own bulk endpoints
 * are gone, and neither we nor Spring Batch log a WARN or ERROR beyond the documented ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StarterLikeHostIT {

	private static final List<String> TYPES = List.of("Organization", "Location", "Practitioner", "PractitionerRole",
			"Patient", "Device", "Encounter", "Condition", "AllergyIntolerance", "Immunization", "MedicationRequest",
			"Procedure", "DocumentReference");
	private static final Set<String> OUR_OPERATIONS = Set.of("export", "import", "bulk-status", "bulk-file");
	private static final Set<String> HAPIS_OPERATIONS = Set.of("export-poll-status", "import-poll-status");
	/** The WARNs docs/operations.md documents: auth mode none, and HAPI's own bulk providers taken over. */
	private static final List<Pattern> DOCUMENTED_WARNINGS = List.of(
			Pattern.compile("hapi\\.bulk\\.auth\\.mode=none: NO AUTHORIZATION.*"),
			Pattern.compile("hapi-bulk replaced HAPI's own bulk data providers.*"));
	private static final Pattern LOG_LINE = Pattern.compile("\\S+ +(WARN|ERROR) \\[[^]]*] (\\S+) : (.*)");

	private final Path jar = Path.of(System.getProperty("hapibulk.host.jar", "target/host.jar"));
	private final String bootVersion = System.getProperty("hapibulk.host.boot-version", "unknown");
	private final Path dataset = Path.of(System.getProperty("hapibulk.datasets", "../../src-it/datasets"))
			.resolve("synthea-10-patients");
	/** Every dataset resource by "Type/id". */
	private final Map<String, ObjectNode> resources = new LinkedHashMap<>();
	private Path importDirectory;
	private HostProcess host;

	@BeforeAll
	void start() throws Exception {
		for (String type : TYPES) {
			for (String line : Files.readAllLines(dataset.resolve(type + ".000.ndjson"))) {
				if (!line.isBlank()) {
					ObjectNode resource = (ObjectNode) HostProcess.JSON.readTree(line);
					resources.put(type + "/" + resource.get("id").asText(), resource);
				}
			}
		}
		Files.createDirectories(Path.of("target"));
		Path workDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "host-it-");
		importDirectory = Files.createDirectories(workDir.resolve("import"));
		for (String type : TYPES) {
			Files.copy(dataset.resolve(type + ".000.ndjson"), importDirectory.resolve(type + ".ndjson"));
		}
		host = HostProcess.start(jar, workDir,
				"--spring.datasource.url=jdbc:h2:file:" + workDir.resolve("db"),
				"--hapi.bulk.auth.mode=none",
				"--hapi.bulk.file-directory=" + workDir.resolve("bulk-files"),
				"--hapi.bulk.import.directory=" + importDirectory,
				"--hapi.bulk.retry-after=1s");
		System.out.printf("[hapi-bulk-host-it] Boot %s host (%s) answered /metadata %d ms after launch%n",
				bootVersion, jar.getParent().getParent().getFileName(), host.startupTime().toMillis());
	}

	@AfterAll
	void stop() throws InterruptedException {
		if (host != null) {
			host.close();
		}
	}

	@Test
	@Order(1)
	void jar_holdsTheHostsSpringBoot_only() throws IOException {
		// given
		Set<String> bootJars = new TreeSet<>();
		Set<String> extensionJars = new TreeSet<>();

		// when
		try (JarFile archive = new JarFile(jar.toFile())) {
			archive.stream().map(entry -> entry.getName()).filter(name -> name.startsWith("BOOT-INF/lib/"))
					.map(name -> name.substring("BOOT-INF/lib/".length())).forEach(name -> {
						if (name.matches("spring-boot(-autoconfigure|-actuator|-actuator-autoconfigure)?-\\d.*\\.jar")) {
							bootJars.add(name);
						}
						if (name.startsWith("hapi-bulk-extension-")) {
							extensionJars.add(name);
						}
					});
		}

		// then
		assertThat(extensionJars).hasSize(1);
		assertThat(bootJars).containsExactlyInAnyOrder("spring-boot-" + bootVersion + ".jar",
				"spring-boot-autoconfigure-" + bootVersion + ".jar", "spring-boot-actuator-" + bootVersion + ".jar",
				"spring-boot-actuator-autoconfigure-" + bootVersion + ".jar");
	}

	@Test
	@Order(2)
	void metadata_fromTheFirstAnswer_listsOurOperations_andNotHapisBulkOnes() {
		// given: the answers while the host started, and one now
		List<JsonNode> statements = new ArrayList<>(host.metadataDuringStart());
		statements.add(HostProcess.json(host.get("metadata")));

		// then
		assertThat(statements).hasSizeGreaterThan(1).allSatisfy(statement -> {
			Set<String> operations = operationNames(statement);
			assertThat(operations).containsAll(OUR_OPERATIONS).doesNotContainAnyElementsOf(HAPIS_OPERATIONS);
			assertThat(statement.toString()).doesNotContain("OperationDefinition/null");
		});
	}

	@Test
	@Order(3)
	void hapisBulkPollEndpoints_areGoneOrPointToOurs() {
		for (String operation : HAPIS_OPERATIONS) {
			// when
			HttpResponse<String> response = host.get("$" + operation + "?_jobId=12345");

			// then: not HAPI's own handler answering (HAPI-2040 and the like), but "unknown operation" or a pointer
			assertThat(response.statusCode()).as(operation + ": " + response.body()).isIn(400, 404, 410);
			JsonNode outcome = HostProcess.json(response);
			assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
			assertThat(outcome.toString()).as(operation).doesNotContain("HAPI-2040")
					.containsAnyOf("does not know how to handle", "$bulk-status", "BULK-");
		}
	}

	@Test
	@Order(4)
	void import_ofTheSyntheaFiles_storesEveryLineOnce() throws Exception {
		// given: file: URLs under hapi.bulk.import.directory, referrers first
		ObjectNode body = HostProcess.JSON.createObjectNode().put("resourceType", "Parameters");
		ArrayNode parameters = body.putArray("parameter");
		parameters.addObject().put("name", "inputFormat").put("valueCode", "application/fhir+ndjson");
		parameters.addObject().put("name", "inputSource").put("valueUri", "https://ehr.example.org/host-it");
		List<String> referrersFirst = new ArrayList<>(TYPES);
		java.util.Collections.reverse(referrersFirst);
		for (String type : referrersFirst) {
			ArrayNode part = parameters.addObject().put("name", "input").putArray("part");
			part.addObject().put("name", "type").put("valueCode", type);
			part.addObject().put("name", "url").put("valueUri", importDirectory.resolve(type + ".ndjson").toUri().toString());
		}

		// when
		long started = System.nanoTime();
		HttpResponse<String> kickOff = host.post("$import", body.toString(), "Prefer", "respond-async",
				"Content-Type", "application/fhir+json");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		JsonNode manifest = awaitManifest(kickOff.headers().firstValue("Content-Location").orElseThrow());
		System.out.printf("[hapi-bulk-host-it] Boot %s: $import of %d resources took %.1f s%n", bootVersion,
				resources.size(), (System.nanoTime() - started) / 1e9);

		// then
		assertThat(manifest.get("error")).as(manifest.toString()).isEmpty();
		Map<String, Long> expected = new TreeMap<>();
		resources.keySet().forEach(key -> expected.merge(key.split("/")[0], 1L, Long::sum));
		Map<String, Long> counted = new TreeMap<>();
		manifest.get("output").forEach(output -> counted.merge(output.get("type").asText(), output.get("count").asLong(),
				Long::sum));
		assertThat(counted).isEqualTo(expected);
	}

	@Test
	@Order(5)
	void export_afterTheImport_holdsEveryResourceExactlyOnce_asImported() throws Exception {
		// when
		long started = System.nanoTime();
		HttpResponse<String> kickOff = host.get("$export", "Prefer", "respond-async");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		JsonNode manifest = awaitManifest(kickOff.headers().firstValue("Content-Location").orElseThrow());
		System.out.printf("[hapi-bulk-host-it] Boot %s: $export of %d resources took %.1f s%n", bootVersion,
				resources.size(), (System.nanoTime() - started) / 1e9);

		// then
		assertThat(manifest.get("error")).isEmpty();
		Map<String, ObjectNode> exported = new TreeMap<>();
		for (JsonNode output : manifest.get("output")) {
			HttpResponse<String> file = host.get(output.get("url").asText(), "Accept", "application/fhir+ndjson");
			assertThat(file.statusCode()).isEqualTo(200);
			for (String line : file.body().lines().toList()) {
				ObjectNode resource = (ObjectNode) HostProcess.JSON.readTree(line);
				resource.remove("meta");
				String key = resource.get("resourceType").asText() + "/" + resource.get("id").asText();
				assertThat(exported.put(key, resource)).as("exported twice: " + key).isNull();
			}
		}
		exported.keySet().removeIf(key -> key.startsWith("AuditEvent/"));
		assertThat(exported.keySet()).containsExactlyInAnyOrderElementsOf(resources.keySet());
		Map<String, String> matchUrlTargets = matchUrlTargets();
		resources.forEach((key, resource) -> {
			ObjectNode expected = resource.deepCopy();
			expected.remove("meta");
			resolveMatchUrls(expected, matchUrlTargets);
			assertThat(exported.get(key)).as(key).isEqualTo(expected);
		});
	}

	@Test
	@Order(6)
	void storeMetaSourceNone_leavesMetaSourceUnset() {
		// given: the starter's default store_meta_source_information NONE (README says so)
		String patient = resources.keySet().stream().filter(key -> key.startsWith("Patient/")).findFirst().orElseThrow();

		// when
		JsonNode read = HostProcess.json(host.get(patient));

		// then
		assertThat(read.at("/meta/source").isMissingNode()).as(read.path("meta").toString()).isTrue();
	}

	@Test
	@Order(7)
	void log_hasNoWarnOrErrorFromUsOrSpringBatch_beyondTheDocumentedOnes() throws IOException {
		// given: the log of the start, the import and the export
		List<String> log = Files.readAllLines(host.log());

		// when
		LogReview review = LogReview.of(log);

		// then: the scan recognised the lines it had to (both documented WARNs are logged by this host: auth mode
		// none, and HAPI's bulk providers on), so a pattern that stopped matching the log's format would fail here
		assertThat(review.documented()).as("documented WARNs found in the log").containsExactlyInAnyOrderElementsOf(
				DOCUMENTED_WARNINGS.stream().map(Pattern::pattern).toList());
		// and: it would report an undocumented one of ours, in the format of a line of this very log
		String warning = log.stream().filter(line -> line.contains("NO AUTHORIZATION")).findFirst().orElseThrow();
		String invented = warning.replaceFirst(" : .*", " : hapi-bulk could not do what it was asked");
		assertThat(LogReview.of(List.of(invented)).undocumented()).containsExactly(invented);
		assertThat(review.undocumented()).isEmpty();
	}

	/** The log's WARN and ERROR lines of ours or Spring Batch's: the documented ones (by pattern) and the rest. */
	private record LogReview(Set<String> documented, List<String> undocumented) {

		static LogReview of(List<String> lines) {
			Set<String> documented = new TreeSet<>();
			List<String> undocumented = new ArrayList<>();
			for (String line : lines) {
				var match = LOG_LINE.matcher(line);
				if (!match.matches()) {
					continue;
				}
				String logger = match.group(2);
				String message = match.group(3);
				boolean ours = logger.startsWith("hapibulk") || logger.startsWith("org.springframework.batch");
				boolean batchMeters = message.contains("spring.batch.");
				if (ours || batchMeters) {
					DOCUMENTED_WARNINGS.stream().filter(p -> p.matcher(message).matches()).findFirst().ifPresentOrElse(
							p -> documented.add(p.pattern()), () -> undocumented.add(line));
				}
			}
			return new LogReview(documented, undocumented);
		}
	}

	private JsonNode awaitManifest(String statusUrl) throws InterruptedException {
		Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
		while (Instant.now().isBefore(deadline)) {
			HttpResponse<String> status = host.get(statusUrl, "Accept", "application/json");
			if (status.statusCode() == 200) {
				return HostProcess.json(status);
			}
			assertThat(status.statusCode()).as(status.body()).isIn(202, 429);
			Thread.sleep(1000);
		}
		throw new AssertionError("No manifest at " + statusUrl);
	}

	private static Set<String> operationNames(JsonNode statement) {
		Set<String> names = new TreeSet<>();
		for (JsonNode rest : statement.path("rest")) {
			rest.path("operation").forEach(operation -> names.add(operation.path("name").asText()));
			rest.path("resource").forEach(resource -> resource.path("operation")
					.forEach(operation -> names.add(operation.path("name").asText())));
		}
		return names;
	}

	/** Synthea refers by identifier ({@code Practitioner?identifier=system|value}); the server stores ids. */
	private Map<String, String> matchUrlTargets() {
		Map<String, String> targets = new HashMap<>();
		resources.forEach((key, resource) -> resource.path("identifier").forEach(identifier -> targets.put(
				key.split("/")[0] + "?identifier=" + identifier.path("system").asText() + "|"
						+ identifier.path("value").asText(), key)));
		return targets;
	}

	private static void resolveMatchUrls(JsonNode node, Map<String, String> targets) {
		if (node instanceof ObjectNode object) {
			if (object.get("reference") instanceof TextNode reference && reference.asText().contains("?")) {
				assertThat(targets).containsKey(reference.asText());
				object.put("reference", targets.get(reference.asText()));
			}
			object.forEach(child -> resolveMatchUrls(child, targets));
		} else if (node instanceof ArrayNode array) {
			array.forEach(child -> resolveMatchUrls(child, targets));
		}
	}
}
