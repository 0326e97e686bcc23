package hapibulk.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample WAR started once ({@code java -jar}) with the two settings a deployment most often changes from the
 * defaults, so that CI pays one start for both:
 * <ul>
 * <li><b>FHIR R5</b> by the JPA starter's setting ({@code --hapi.fhir.fhir_version=R5}): its CapabilityStatement is
 * R5's with the bulk operations, a hand-made R5 set (the extension's r5-hand-made.ndjson, posted as a transaction)
 * comes back from Patient and Group exports as R5's compartment bounds them, an {@code $import} stores an R5-only
 * type, and the audit trail holds R5 AuditEvents. The in-process hosts of the extension's tests (R5HostTest,
 * R4BHostTest) check the rest; this checks that the WAR's setting picks HAPI's R5 configuration and the extension
 * follows it.</li>
 * <li><b>HTTPS</b> as docs/security.md configures it ({@code server.ssl.enabled-protocols=TLSv1.2,TLSv1.3}): a TLS
 * 1.1 handshake is refused, TLS 1.2 works. The server's and the probing client's JVMs get TLS 1.0/1.1 re-enabled at
 * the JDK level, so that the refusal is the server's configuration and not merely the JDK's default.</li>
 * </ul>
 */
class R5OverHttpsWarIT {

	private static final String NOT_SUPPORTED = "http://hl7.org/fhir/uv/bulkdata/Extension/operation-not-supported";
	private static final Path DATA = Path.of("..", "hapi-bulk-extension", "src", "test", "resources", "fhir-versions",
			"r5-hand-made.ndjson");

	/** The JDK's default list without TLSv1 and TLSv1.1. */
	static final String DISABLED = "SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL";
	static final String PASSWORD = "changeit";

	@TempDir
	static Path workDir;
	static WarProcess server;
	static ItDatabase database;
	static SSLContext trustingTestCertificate;
	static int port;
	static Path keyStore;
	static Path securityOverride;
	static Path imports;

	@BeforeAll
	static void start() throws Exception {
		keyStore = workDir.resolve("server.p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
				"-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12",
				"-keystore", keyStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
				.redirectErrorStream(true).start();
		assertThat(keytool.waitFor()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
		securityOverride = workDir.resolve("java.security");
		Files.writeString(securityOverride, "jdk.tls.disabledAlgorithms=" + DISABLED + "\n");

		KeyStore trust = KeyStore.getInstance("PKCS12");
		try (InputStream in = new FileInputStream(keyStore.toFile())) {
			trust.load(in, PASSWORD.toCharArray());
		}
		TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		trustManagers.init(trust);
		trustingTestCertificate = SSLContext.getInstance("TLS");
		trustingTestCertificate.init(null, trustManagers.getTrustManagers(), null);

		imports = Files.createDirectories(workDir.resolve("imports"));
		port = WarProcess.freePort();
		database = ItDatabase.fresh(workDir);
		FhirHttp https = new FhirHttp("https://localhost:" + port + "/fhir", HttpClient.newBuilder()
				.sslContext(trustingTestCertificate).connectTimeout(Duration.ofSeconds(10)).build());
		server = WarProcess.start(workDir, port, database, List.of("-Djava.security.properties=" + securityOverride),
				https,
				"--server.ssl.enabled=true",
				"--server.ssl.key-store=" + keyStore,
				"--server.ssl.key-store-type=PKCS12",
				"--server.ssl.key-store-password=" + PASSWORD,
				"--server.ssl.enabled-protocols=TLSv1.2,TLSv1.3",
				"--hapi.fhir.fhir_version=R5", "--hapi.bulk.retry-after=0s",
				"--hapi.bulk.export.include-referenced-resources=false",
				"--hapi.bulk.import.directory=" + imports.toAbsolutePath());
	}

	@AfterAll
	static void stop() throws Exception {
		if (server != null) {
			server.close();
		}
		if (database != null) {
			database.drop().run();
		}
	}

	@Test
	void r5War_servesR5_exportsByR5sCompartment_importsR5_andAuditsInR5sShape() throws Exception {
		FhirHttp http = server.http();

		// the CapabilityStatement: R5's, with the bulk operations, Device outside R5's compartment
		JsonNode metadata = FhirHttp.json(http.get("metadata", "Accept", "application/fhir+json"));
		assertThat(metadata.path("fhirVersion").asText()).isEqualTo("5.0.0");
		assertThat(metadata.path("instantiates").toString()).contains("bulkdata/CapabilityStatement/bulk-data");
		JsonNode rest = metadata.at("/rest/0");
		assertThat(rest.path("operation").toString()).contains("\"export\"");
		assertThat(resource(rest, "Patient").path("operation").toString()).contains("patient-export");
		assertThat(resource(rest, "Device").path("extension").toString()).contains(NOT_SUPPORTED);
		assertThat(resource(rest, "Task").path("extension").toString()).doesNotContain(NOT_SUPPORTED);

		// given: the R5 set, as one transaction
		ObjectNode bundle = FhirHttp.JSON.createObjectNode().put("resourceType", "Bundle").put("type", "transaction");
		ArrayNode entries = bundle.putArray("entry");
		for (String line : Files.readAllLines(DATA)) {
			if (!line.isBlank()) {
				JsonNode resource = FhirHttp.parse(line);
				String url = resource.path("resourceType").asText() + "/" + resource.path("id").asText();
				ObjectNode entry = entries.addObject().put("fullUrl", url);
				entry.set("resource", resource);
				entry.putObject("request").put("method", "PUT").put("url", url);
			}
		}
		HttpResponse<String> stored = http.post("", bundle.toString(), "Content-Type", "application/fhir+json",
				"Accept", "application/fhir+json");
		assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);

		// when / then: Patient and Group exports hold R5's compartment (DeviceUsage and Task in, Device out)
		BulkExportClient exports = new BulkExportClient(http);
		var patients = BulkExportClient.byId(exports.download(exports.awaitManifest(
				kickOff(http, "Patient/$export"), Duration.ofMinutes(3))));
		assertThat(patients.keySet()).containsExactlyInAnyOrder("Patient/p1", "Patient/p2", "Patient/p3",
				"Encounter/e1", "Encounter/e3", "Observation/o1", "Observation/o2", "DeviceUsage/du1", "Task/t1",
				"Provenance/prov-o1-first", "Provenance/prov-o1-latest", "Group/g1");
		var group = BulkExportClient.byId(exports.download(exports.awaitManifest(
				kickOff(http, "Group/g1/$export"), Duration.ofMinutes(3))));
		assertThat(group.keySet()).contains("DeviceUsage/du1", "Task/t1").doesNotContain("Patient/p3",
				"Device/d1", "Encounter/e3");

		// and an import of an R5-only type
		Path input = imports.resolve("DeviceUsage.ndjson");
		Files.writeString(input, "{\"resourceType\":\"DeviceUsage\",\"id\":\"du2\",\"status\":\"completed\","
				+ "\"patient\":{\"reference\":\"Patient/p2\"},\"device\":{\"reference\":{\"reference\":\"Device/d1\"}}}\n");
		HttpResponse<String> kickOff = http.post("$import", "{\"resourceType\":\"Parameters\",\"parameter\":["
				+ "{\"name\":\"input\",\"part\":[{\"name\":\"type\",\"valueCode\":\"DeviceUsage\"},"
				+ "{\"name\":\"url\",\"valueUri\":\"" + input.toUri() + "\"}]}]}",
				"Content-Type", "application/fhir+json", "Prefer", "respond-async", "Accept", "application/fhir+json");
		assertThat(kickOff.statusCode()).as(kickOff.body()).isEqualTo(202);
		JsonNode imported = exports.awaitManifest(kickOff.headers().firstValue("Content-Location").orElseThrow(),
				Duration.ofMinutes(3));
		assertThat(imported.at("/output/0/count").asLong()).isEqualTo(1);
		HttpResponse<String> du2 = http.get("DeviceUsage/du2", "Accept", "application/fhir+json");
		assertThat(du2.statusCode()).isEqualTo(200);
		assertThat(FhirHttp.json(du2).at("/device/reference/reference").asText()).isEqualTo("Device/d1");

		// and the audit trail: R5 AuditEvents, the action as code (R4's subtype)
		List<String> actions = new ArrayList<>();
		String[] events = {null};
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
			actions.clear();
			events[0] = http.get("AuditEvent?_count=100", "Accept", "application/fhir+json").body();
			FhirHttp.parse(events[0]).path("entry")
					.forEach(entry -> actions.add(entry.at("/resource/code/coding/0/code").asText()));
			return actions.contains("export-kickoff") && actions.contains("import-started");
		});
		assertThat(events[0]).contains("\"category\"").contains("\"networkString\"").doesNotContain("\"subtype\"");
	}

	@Test
	void tls11Handshake_isRefusedByTheServer() throws Exception {
		// The server's protocol_version alert: the client did offer TLS 1.1, the server refused it.
		assertThat(probe("TLSv1.1")).startsWith("FAIL").contains("protocol_version");
		assertThat(probe("TLSv1")).startsWith("FAIL").contains("protocol_version");
	}

	@Test
	void tls12Handshake_andHttps_work() throws Exception {
		assertThat(probe("TLSv1.2")).isEqualTo("OK TLSv1.2");
		assertThat(server.http().get("metadata", "Accept", "application/fhir+json").statusCode()).isEqualTo(200);
	}

	private static String kickOff(FhirHttp http, String path) {
		HttpResponse<String> response = http.get(path, "Prefer", "respond-async", "Accept", "application/fhir+json");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
		return response.headers().firstValue("Content-Location").orElseThrow();
	}

	private static JsonNode resource(JsonNode rest, String type) {
		for (JsonNode resource : rest.path("resource")) {
			if (resource.path("type").asText().equals(type)) {
				return resource;
			}
		}
		throw new AssertionError("No rest.resource for " + type);
	}

	/** A handshake offering only {@code protocol}, from a JVM with TLS 1.0/1.1 enabled. */
	private static String probe(String protocol) throws Exception {
		Process probe = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Djava.security.properties=" + securityOverride, "-cp", System.getProperty("java.class.path"),
				TlsProbe.class.getName(), "localhost", Integer.toString(port), protocol, keyStore.toString(), PASSWORD)
				.redirectErrorStream(true).start();
		String output = new String(probe.getInputStream().readAllBytes()).trim();
		probe.waitFor();
		return output.lines().reduce((first, last) -> last).orElse("");
	}
}
