package hapibulk.versions;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.FhirVersionEnum;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.primitive.IdDt;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.audit.BulkAudit;
import hapibulk.export.PatientCompartment;
import hapibulk.testsupport.HapiLoader;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestIdentityProvider;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the extension does differently in each FHIR version, on an in-process host of that version: HAPI's JPA
 * server of the version (its own JPA configuration, DAOs and database), the extension as any plain Spring host
 * adds it, requests through the real RestfulServer with tokens of an authorization server (auth mode external).
 * R4 runs the rest of the suite; each subclass brings a version's host and data: the conformance basics
 * (CapabilityStatement, OperationOutcomes), export round trips at every level over the version's Patient
 * compartment and the resources it references, {@code _typeFilter}, {@code _elements}, an import, the stored
 * AuditEvents and patient-scoped tokens. (The {@code operation-not-supported} marks of types outside the
 * compartment, which only a server without referenced resources sets, are held per version by
 * CapabilityStatementVersionsTest and on the R5 WAR by R5OverHttpsWarIT.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FhirVersionHostChecks {

	static final TestIdentityProvider IDP = new TestIdentityProvider();
	static final String CLIENT = "version-checks";
	static final String DEFINITIONS = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/";
	static final String NOT_SUPPORTED = "http://hl7.org/fhir/uv/bulkdata/Extension/operation-not-supported";
	static final Path FILES = tempDirectory("hapi-bulk-version-files");
	static final Path INPUTS = tempDirectory("hapi-bulk-version-inputs");

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.file-directory", FILES::toString);
		registry.add("hapi.bulk.import.directory", INPUTS::toString);
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.audit.store-events", () -> "true");
		// The default, spelled out: Patient and Group exports hold the version's compartment and what it references.
		registry.add("hapi.bulk.export.include-referenced-resources", () -> "true");
		IDP.register(registry);
	}

	@Autowired
	RestfulServer server;
	@Autowired
	FhirContext fhirContext;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	IFhirSystemDao<?, ?> systemDao;
	@Autowired
	PatientCompartment compartment;
	@Autowired
	ResourceProviderFactory resourceProviders;
	@Autowired
	JpaSystemProvider<?, ?> systemProvider;
	@Autowired
	JpaStorageSettings storageSettings;
	@Autowired
	ISearchParamRegistry searchParamRegistry;
	@Autowired
	IValidationSupport validationSupport;
	@Autowired
	DataSource dataSource;

	/** Requests without a token; {@link RestfulServerClient#withHeaders} gives each token its client. */
	RestfulServerClient anonymous;
	RestfulServerClient system;
	/** Every loaded resource as Type/id. */
	Set<String> loaded;

	// ---- what a version brings ------------------------------------------------------------------------------

	abstract FhirVersionEnum version();

	/** The data, as NDJSON lines, in batches loaded one after another (references point back). */
	abstract List<List<String>> data();

	/** The Group exported by Group/[id]/$export (in the data). */
	abstract String groupId();

	/** A resource type this version does not have (another version's). */
	abstract String typeOfAnotherVersion();

	/** A {@code _typeFilter} query of a compartment type, and an {@code _elements} value of that type. */
	abstract String typeFilter();

	abstract String elements();

	/** A top-level element the {@code _elements} subset drops, which some resources of the filtered type have. */
	abstract String droppedElement();

	/** A type whose resources are exported, renamed and imported again. */
	abstract String importType();

	/** The bulk action codes of a stored AuditEvent, read where the version keeps them. */
	abstract List<String> auditActionCodes(IBaseResource auditEvent);

	// ---- set-up -----------------------------------------------------------------------------------------------

	@BeforeAll
	void loadData() {
		assertThat(fhirContext.getVersion().getVersion()).isEqualTo(version());
		HapiLoader loader = new HapiLoader(fhirContext, systemDao);
		loaded = new TreeSet<>();
		for (List<String> batch : data()) {
			loader.load(batch);
			batch.forEach(line -> loaded.add(key(JsonCompare.tree(line))));
		}
		// The host's REST API as the JPA starter and the sample WAR serve it.
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider);
		server.setServerConformanceProvider(new JpaCapabilityStatementProvider(server, systemDao, storageSettings,
				searchParamRegistry, validationSupport));
		anonymous = new RestfulServerClient(server);
		system = anonymous.withHeaders("Authorization",
				"Bearer " + IDP.token(CLIENT, "system/*.read system/*.write", null));
		// Mode external fetches the authorization server's keys with the first token, within Nimbus's time-outs
		// (500 ms), which a loaded machine can miss (a 401 then): wait until a token is taken.
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
				.until(() -> system.get("Patient?_count=1", "Accept", "application/fhir+json").status() == 200);
	}

	// ---- conformance ------------------------------------------------------------------------------------------

	@Test
	void capabilityStatement_isTheVersions_listsTheBulkOperations_andEveryTypeForPatientAndGroupExports() {
		// when
		Answer metadata = system.get("metadata", "Accept", "application/fhir+json");

		// then: HAPI's statement of the version, parsed by the version's parser
		assertThat(metadata.status()).as(metadata.body()).isEqualTo(200);
		IBaseResource parsed = fhirContext.newJsonParser().parseResource(metadata.body());
		assertThat(parsed.getStructureFhirVersionEnum()).isEqualTo(version());
		JsonNode statement = JsonCompare.tree(metadata.body());
		assertThat(statement.path("fhirVersion").asText()).isEqualTo(version().getFhirVersionString());
		assertThat(statement.path("instantiates").toString())
				.contains("http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data");
		JsonNode rest = statement.at("/rest/0");
		assertThat(operations(rest)).contains("export " + DEFINITIONS + "export");
		assertThat(operations(resource(rest, "Patient"))).contains("patient-export " + DEFINITIONS + "patient-export");
		assertThat(operations(resource(rest, "Group"))).contains("group-export " + DEFINITIONS + "group-export");
		// and no type is marked: with referenced resources a Patient or Group export may hold any type
		assertThat(rest.path("resource").size()).isGreaterThan(100);
		assertThat(rest.path("resource").toString()).doesNotContain(NOT_SUPPORTED);
	}

	@Test
	void badRequests_areAnsweredWithOperationOutcomesOfTheVersion() {
		// when
		Map<String, Answer> answers = new LinkedHashMap<>();
		answers.put("BULK-0101", system.get("$export?_type=Patient", "Accept", "application/fhir+json"));
		answers.put("BULK-0105", system.get("$export?_type=" + typeOfAnotherVersion(), kickOffHeaders()));
		answers.put("BULK-0131", system.post("$export", "{\"resourceType\":\"Patient\"}", kickOffHeaders()));
		answers.put("BULK-0132", system.post("$export", "{\"resourceType\":\"Parameters\",\"parameter\":"
				+ "[{\"valueString\":\"Patient\"}]}", kickOffHeaders()));
		answers.put("BULK-0215", system.post("$import", importBody(Map.of(typeOfAnotherVersion(), "file:///x.ndjson")),
				kickOffHeaders()));

		// then
		answers.forEach((code, answer) -> {
			assertThat(answer.status()).as(code + ": " + answer.body()).isEqualTo(400);
			IBaseResource outcome = fhirContext.newJsonParser().parseResource(answer.body());
			assertThat(outcome.fhirType()).isEqualTo("OperationOutcome");
			assertThat(outcome.getStructureFhirVersionEnum()).isEqualTo(version());
			assertThat(fhirContext.newTerser().getSinglePrimitiveValueOrNull(outcome, "issue.diagnostics"))
					.as(code).startsWith(code).doesNotContain("java.");
		});
	}

	// ---- exports ----------------------------------------------------------------------------------------------

	@Test
	void systemExport_byGetAndByParametersPost_exportsEveryResource_asHapiReadsIt() {
		// when
		Map<String, String> all = exported(awaitManifest(system.get("$export", kickOffHeaders())));
		Map<String, String> someTypes = exported(awaitManifest(system.post("$export",
				"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"_type\",\"valueString\":\"Patient,"
						+ importType() + "\"}]}", kickOffHeaders())));

		// then: what was loaded (no AuditEvent: the token has no audit scope), each line as HAPI reads it
		assertThat(all.keySet()).isEqualTo(loaded);
		var parser = fhirContext.newJsonParser();
		SystemRequestDetails request = new SystemRequestDetails();
		for (Map.Entry<String, String> line : all.entrySet()) {
			IBaseResource read = daoRegistry.getResourceDao(line.getKey().split("/")[0]).read(new IdDt(line.getKey()),
					request);
			assertThat(JsonCompare.normalized(line.getValue())).as(line.getKey())
					.isEqualTo(JsonCompare.normalized(parser.encodeResourceToString(read)));
		}
		assertThat(someTypes.keySet()).isEqualTo(loaded.stream()
				.filter(key -> key.startsWith("Patient/") || key.startsWith(importType() + "/"))
				.collect(Collectors.toCollection(TreeSet::new)));
	}

	@Test
	void patientAndGroupExports_holdTheVersionsCompartments_asHapisOwnCompartmentSearchFindsThem_andWhatTheyReference() {
		// given
		List<String> patients = loaded.stream().filter(key -> key.startsWith("Patient/"))
				.map(key -> key.substring("Patient/".length())).toList();
		List<String> members = groupMembers();

		// when
		Map<String, String> patientExport = exported(awaitManifest(system.get("Patient/$export", kickOffHeaders())));
		Map<String, String> groupExport = exported(awaitManifest(system.get("Group/" + groupId() + "/$export",
				kickOffHeaders())));

		// then
		assertThat(patientExport.keySet()).isEqualTo(expectedExport(patients));
		assertThat(groupExport.keySet()).isEqualTo(expectedExport(members)).contains("Group/" + groupId());
		assertThat(groupExport.keySet()).anyMatch(key -> !compartment.contains(key.split("/")[0]));
		assertThat(groupExport.keySet()).isNotEqualTo(patientExport.keySet());
	}

	@Test
	void typeFilterAndElements_runOnTheVersionsSearchParametersAndElements() {
		// given: what HAPI's own search finds for the filter
		String filter = typeFilter();
		String type = filter.substring(0, filter.indexOf('?'));
		Set<String> matching = searchIds(filter);
		assertThat(matching).isNotEmpty().isNotEqualTo(loaded.stream().filter(key -> key.startsWith(type + "/"))
				.collect(Collectors.toSet()));

		// when
		Map<String, String> lines = exported(awaitManifest(system.get("Patient/$export?_type=" + type
				+ "&_typeFilter=" + encode(filter) + "&_elements=" + elements(), kickOffHeaders())));

		// then: the matching resources, subsetted to the element (and what the version requires), tagged
		assertThat(lines.keySet()).isEqualTo(matching);
		String element = elements().substring(elements().indexOf('.') + 1);
		boolean anyDropped = false;
		for (Map.Entry<String, String> line : lines.entrySet()) {
			ObjectNode resource = JsonCompare.tree(line.getValue());
			assertThat(resource.at("/meta/tag").toString()).as(line.getKey()).contains("SUBSETTED");
			assertThat(resource.has(droppedElement())).as(line.getKey()).isFalse();
			String stored = fhirContext.newJsonParser().encodeResourceToString(daoRegistry.getResourceDao(type)
					.read(new IdDt(line.getKey()), new SystemRequestDetails()));
			assertThat(resource.has(element)).as(line.getKey()).isEqualTo(JsonCompare.tree(stored).has(element));
			anyDropped |= JsonCompare.tree(stored).has(droppedElement());
		}
		assertThat(anyDropped).as("some exported resource had " + droppedElement() + " before the subset").isTrue();
	}

	// ---- import -----------------------------------------------------------------------------------------------

	@Test
	void import_ofExportedResourcesUnderNewIds_storesThemAsExported_andReportsALineOfAnotherVersion()
			throws IOException {
		// given: the type's exported resources under new ids, and a line this version cannot read
		Map<String, String> exported = exported(awaitManifest(system.get("$export?_type=" + importType(),
				kickOffHeaders())));
		List<String> lines = new ArrayList<>();
		Map<String, ObjectNode> expected = new LinkedHashMap<>();
		for (String line : exported.values()) {
			ObjectNode resource = JsonCompare.tree(line);
			resource.remove("meta");
			resource.put("id", resource.get("id").asText() + "-copy");
			expected.put(key(resource), resource);
			lines.add(resource.toString());
		}
		lines.add(1, "{\"resourceType\":\"" + typeOfAnotherVersion() + "\",\"id\":\"other-version\"}");
		Path input = INPUTS.resolve(version() + "-" + importType() + ".ndjson");
		Files.write(input, lines);

		// when
		Answer kickOff = system.post("$import", importBody(Map.of(importType(), input.toUri().toString())),
				kickOffHeaders());
		JsonNode manifest = awaitManifest(kickOff);
		try {
			checkImported(manifest, expected);
		} finally {
			// The other checks export exactly the loaded data.
			expected.keySet().forEach(key -> daoRegistry.getResourceDao(importType()).delete(new IdDt(key),
					new SystemRequestDetails()));
		}
	}

	private void checkImported(JsonNode manifest, Map<String, ObjectNode> expected) {
		// then: every resource stored as it was exported, and the foreign line reported as line 2
		assertThat(manifest.at("/output/0/count").asLong()).isEqualTo(expected.size());
		assertThat(manifest.path("error")).hasSize(1);
		String errors = system.get(manifest.at("/error/0/url").asText()).body();
		assertThat(errors).contains(typeOfAnotherVersion()).contains("\"valueInteger\":2");
		var parser = fhirContext.newJsonParser();
		for (Map.Entry<String, ObjectNode> resource : expected.entrySet()) {
			ObjectNode stored = JsonCompare.withoutMeta(parser.encodeResourceToString(daoRegistry
					.getResourceDao(importType()).read(new IdDt(resource.getKey()), new SystemRequestDetails())));
			assertThat(stored).as(resource.getKey()).isEqualTo(resource.getValue());
		}
	}

	// ---- audit and scopes -------------------------------------------------------------------------------------

	@Test
	void auditEvents_ofKickOffs_areStoredInTheVersionsShape() {
		// when
		Answer kickOff = system.get("$export?_type=Patient", kickOffHeaders());
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);

		// then: stored (by a background writer) as the version's AuditEvent, the action where the version keeps it
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> storedAuditEvents().stream().anyMatch(event -> auditActionCodes(event).contains("export-kickoff")));
		IBaseResource event = storedAuditEvents().stream()
				.filter(stored -> auditActionCodes(stored).contains("export-kickoff")).findFirst().orElseThrow();
		assertThat(event.getStructureFhirVersionEnum()).isEqualTo(version());
		var terser = fhirContext.newTerser();
		assertThat(terser.getSinglePrimitiveValueOrNull(event, "agent.who.identifier.value")).isEqualTo(CLIENT);
		assertThat(terser.getSinglePrimitiveValueOrNull(event, "action")).isEqualTo("E");
	}

	@Test
	void patientScopedToken_readsOnlyItsPatientsCompartment_andExportsIt() {
		// given: a token bound to the Group's first member
		List<String> members = groupMembers();
		String patient = members.get(0);
		RestfulServerClient scoped = anonymous.withHeaders("Authorization",
				"Bearer " + IDP.token(CLIENT, "system/*.read", patient));

		// when
		Answer own = scoped.get("Patient/" + patient);
		Answer other = scoped.get("Patient/" + members.get(1));
		// (a job of a patient context is its own: its files are downloaded with the same token)
		Map<String, String> export = exported(awaitManifest(scoped.get("Patient/" + patient + "/$export",
				kickOffHeaders()), scoped), scoped);

		// then
		assertThat(own.status()).as(own.body()).isEqualTo(200);
		assertThat(other.status()).as(other.body()).isEqualTo(403);
		assertThat(export.keySet()).isEqualTo(expectedExport(List.of(patient)));
	}

	// ---- helpers ----------------------------------------------------------------------------------------------

	/**
	 * What a Patient or Group export of these patients holds: their compartments as HAPI's own search finds them
	 * (by the version's compartment parameters), the resources of types outside the compartment that those
	 * reference (HAPI's reference index), and the Provenance of the compartments (the IG's default).
	 */
	Set<String> expectedExport(List<String> patients) {
		Set<String> keys = hapisCompartmentSearch(patients);
		keys.addAll(referencedOutsideTheCompartment(keys));
		for (String key : loaded.stream().filter(key -> key.startsWith("Provenance/")).toList()) {
			IBaseResource resource = daoRegistry.getResourceDao("Provenance").read(new IdDt(key), new SystemRequestDetails());
			if (fhirContext.newTerser().getValues(resource, "target.reference").stream()
					.anyMatch(target -> keys.contains(((IPrimitiveType<?>) target).getValueAsString()))) {
				keys.add(key);
			}
		}
		return keys;
	}

	/** The patients and, for each other compartment type, the union of its searches by each compartment parameter. */
	Set<String> hapisCompartmentSearch(List<String> patients) {
		Set<String> keys = new TreeSet<>();
		patients.forEach(id -> keys.add("Patient/" + id));
		for (String type : compartment.types()) {
			if (type.equals("Patient") || type.equals("AuditEvent") || !daoRegistry.isResourceTypeSupported(type)) {
				continue;
			}
			for (RuntimeSearchParam param : fhirContext.getResourceDefinition(type).getSearchParams()) {
				if (param.getProvidesMembershipInCompartments() == null
						|| !param.getProvidesMembershipInCompartments().contains("Patient")) {
					continue;
				}
				ReferenceOrListParam anyPatient = new ReferenceOrListParam();
				patients.forEach(patient -> anyPatient.addOr(new ReferenceParam("Patient/" + patient)));
				SearchParameterMap map = SearchParameterMap.newSynchronous().add(param.getName(), anyPatient);
				daoRegistry.getResourceDao(type).search(map, new SystemRequestDetails()).getAllResources()
						.forEach(resource -> keys.add(type + "/" + resource.getIdElement().getIdPart()));
			}
		}
		return keys;
	}

	/** The resources of types outside the compartment that the given ones reference (HAPI's reference index). */
	Set<String> referencedOutsideTheCompartment(Set<String> sources) {
		Set<String> referenced = new TreeSet<>();
		new JdbcTemplate(dataSource).query("SELECT s.RES_TYPE, s.FHIR_ID, t.RES_TYPE, t.FHIR_ID FROM HFJ_RES_LINK l"
				+ " JOIN HFJ_RESOURCE s ON s.RES_ID = l.SRC_RESOURCE_ID JOIN HFJ_RESOURCE t ON t.RES_ID = l.TARGET_RESOURCE_ID"
				+ " WHERE t.RES_DELETED_AT IS NULL", (RowCallbackHandler) row -> {
					if (!compartment.contains(row.getString(3)) && sources.contains(row.getString(1) + "/" + row.getString(2))) {
						referenced.add(row.getString(3) + "/" + row.getString(4));
					}
				});
		return referenced;
	}

	List<String> groupMembers() {
		IBaseResource group = daoRegistry.getResourceDao("Group").read(new IdDt("Group", groupId()),
				new SystemRequestDetails());
		return fhirContext.newTerser().getValues(group, "member.entity.reference").stream()
				.map(reference -> ((IPrimitiveType<?>) reference).getValueAsString()
						.substring("Patient/".length()))
				.toList();
	}

	/** The ids HAPI's search of the query finds, as Type/id. */
	Set<String> searchIds(String query) {
		Answer answer = system.get(query + "&_count=1000&_elements=id", "Accept", "application/fhir+json");
		assertThat(answer.status()).as(answer.body()).isEqualTo(200);
		Set<String> keys = new HashSet<>();
		JsonCompare.tree(answer.body()).path("entry").forEach(entry -> keys.add(key(entry.path("resource"))));
		assertThat(JsonCompare.tree(answer.body()).path("link").toString()).doesNotContain("\"next\"");
		return keys;
	}

	List<IBaseResource> storedAuditEvents() {
		return daoRegistry.getResourceDao("AuditEvent").search(SearchParameterMap.newSynchronous(),
				new SystemRequestDetails()).getAllResources();
	}

	/** The action codes of an AuditEvent at the given terser path of codings. */
	List<String> codesAt(IBaseResource auditEvent, String codingsPath) {
		var terser = fhirContext.newTerser();
		List<String> codes = new ArrayList<>();
		for (IBase coding : terser.getValues(auditEvent, codingsPath)) {
			if (BulkAudit.SUBTYPE_SYSTEM.equals(terser.getSinglePrimitiveValueOrNull(coding, "system"))) {
				codes.add(terser.getSinglePrimitiveValueOrNull(coding, "code"));
			}
		}
		return codes;
	}

	static String importBody(Map<String, String> inputs) {
		StringBuilder body = new StringBuilder("{\"resourceType\":\"Parameters\",\"parameter\":["
				+ "{\"name\":\"inputFormat\",\"valueCode\":\"application/fhir+ndjson\"},"
				+ "{\"name\":\"inputSource\",\"valueUri\":\"https://ehr.example.org/versions\"}");
		inputs.forEach((type, url) -> body.append(",{\"name\":\"input\",\"part\":[{\"name\":\"type\",\"valueCode\":\"")
				.append(type).append("\"},{\"name\":\"url\",\"valueUri\":\"").append(url).append("\"}]}"));
		return body.append("]}").toString();
	}

	JsonNode awaitManifest(Answer kickOff) {
		return awaitManifest(kickOff, system);
	}

	static JsonNode awaitManifest(Answer kickOff, RestfulServerClient client) {
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String status = kickOff.header("Content-Location");
		Answer[] last = {kickOff};
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
			last[0] = client.get(status);
			return last[0].status() != 202;
		});
		assertThat(last[0].status()).as(last[0].body()).isEqualTo(200);
		return JsonCompare.tree(last[0].body());
	}

	Map<String, String> exported(JsonNode manifest) {
		return exported(manifest, system);
	}

	/** Every exported line by Type/id; fails on a duplicate. */
	static Map<String, String> exported(JsonNode manifest, RestfulServerClient client) {
		Map<String, String> lines = new LinkedHashMap<>();
		for (JsonNode file : manifest.path("output")) {
			Answer answer = client.get(file.path("url").asText());
			assertThat(answer.status()).as(answer.body()).isEqualTo(200);
			for (String line : answer.body().split("\n")) {
				if (!line.isBlank()) {
					assertThat(lines.put(key(JsonCompare.tree(line)), line)).as("exported twice").isNull();
				}
			}
		}
		return lines;
	}

	static String key(JsonNode resource) {
		return resource.path("resourceType").asText() + "/" + resource.path("id").asText();
	}

	static String encode(String text) {
		return URLEncoder.encode(text, StandardCharsets.UTF_8);
	}

	static List<JsonNode> operationsOf(JsonNode node) {
		List<JsonNode> list = new ArrayList<>();
		node.path("operation").forEach(list::add);
		return list;
	}

	/** Each operation as "name definition". */
	static List<String> operations(JsonNode node) {
		return operationsOf(node).stream().map(operation -> operation.path("name").asText() + " "
				+ operation.path("definition").asText()).toList();
	}

	static JsonNode resource(JsonNode rest, String type) {
		for (JsonNode resource : rest.path("resource")) {
			if (resource.path("type").asText().equals(type)) {
				return resource;
			}
		}
		throw new AssertionError("No rest.resource for " + type);
	}

	/** The lines of a data file of the test resources. */
	static List<String> resourceLines(String name) {
		try (var in = FhirVersionHostChecks.class.getResourceAsStream("/fhir-versions/" + name)) {
			return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
					.filter(line -> !line.isBlank()).toList();
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static Path tempDirectory(String prefix) {
		try {
			return Files.createTempDirectory(prefix);
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
