package hapibulk.auth;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import hapibulk.config.BulkConfiguration;
import hapibulk.job.BulkJobTable;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiServerConfig;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 25, point 3, through the real {@link RestfulServer} in mode external: one client, tokens bound to
 * different patients (the {@code patient} claim), and one bound to none. A job belongs to the client and the
 * patient context of its kick-off: any other context of the same client gets the 404 of an unknown job on
 * status, cancel and file URLs.
 */
@SpringJUnitConfig(classes = {TestHapiServerConfig.class, BulkConfiguration.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PatientContextJobAttacksTest {

	static final String ISSUER = "https://idp.example.org";
	static final String AUDIENCE = "https://fhir.example.org/fhir";
	static final String CLIENT = "ehr-app";
	static final RSAKey KEY = generateKey();
	static final HttpServer JWKS = jwksServer();
	static final ObjectMapper JSON = new ObjectMapper();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) throws IOException {
		String files = Files.createTempDirectory("hapi-bulk-patient-context").toString();
		registry.add("hapi.bulk.file-directory", () -> files);
		registry.add("hapi.bulk.retry-after", () -> "0s");
		registry.add("hapi.bulk.audit.store-events", () -> "false");
		registry.add("hapi.bulk.server-base-url", () -> RestfulServerClient.BASE);
		registry.add("hapi.bulk.auth.mode", () -> "external");
		registry.add("hapi.bulk.auth.external.issuer", () -> ISSUER);
		registry.add("hapi.bulk.auth.external.audience", () -> AUDIENCE);
		registry.add("hapi.bulk.auth.external.jwks-url",
				() -> "http://127.0.0.1:" + JWKS.getAddress().getPort() + "/jwks.json");
	}

	@Autowired
	RestfulServer server;
	@Autowired
	DaoRegistry daoRegistry;
	@Autowired
	BulkJobTable table;

	RestfulServerClient anonymous;

	@BeforeAll
	void loadData() {
		anonymous = new RestfulServerClient(server);
		SystemRequestDetails system = new SystemRequestDetails();
		for (String id : new String[] {"p1", "p2"}) {
			Patient patient = new Patient();
			patient.setId(id);
			daoRegistry.getResourceDao(Patient.class).update(patient, system);
			Observation observation = new Observation();
			observation.setId("o-" + id);
			observation.setStatus(Observation.ObservationStatus.FINAL);
			observation.getCode().setText("x");
			observation.getSubject().setReference("Patient/" + id);
			daoRegistry.getResourceDao(Observation.class).update(observation, system);
		}
	}

	@AfterAll
	void stopJwks() {
		JWKS.stop(0);
	}

	@Test
	void jobOfPatientOne_isUnknownToTheSameClientWithPatientTwo_orWithoutPatient_onStatusCancelAndFile() throws Exception {
		// given: a finished export of p1, kicked off with a token of the client bound to p1
		RestfulServerClient patientOne = as("p1");
		Answer kickOff = patientOne.get("Patient/p1/$export", RestfulServerClient.kickOffHeaders());
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String statusUrl = kickOff.header("Content-Location");
		JsonNode manifest = JSON.readTree(awaitDone(patientOne, statusUrl).body());
		String fileUrl = manifest.path("output").get(0).path("url").asText();

		for (RestfulServerClient other : new RestfulServerClient[] {as("p2"), as(null)}) {
			// when
			Answer status = other.get(statusUrl);
			Answer file = other.get(fileUrl);
			Answer cancel = other.delete(statusUrl);

			// then: the answers of a job that does not exist
			assertThat(status.status()).as(status.body()).isEqualTo(404);
			assertThat(status.body()).contains("BULK-0201");
			assertThat(file.status()).as(file.body()).isEqualTo(404);
			assertThat(file.body()).contains("BULK-0203");
			assertThat(cancel.status()).as(cancel.body()).isEqualTo(404);
			assertThat(cancel.body()).contains("BULK-0201");
		}
		// and the job's own context still sees it, files and all (the cancels did nothing)
		assertThat(patientOne.get(statusUrl).status()).isEqualTo(200);
		assertThat(patientOne.get(fileUrl).status()).isEqualTo(200);
		String jobId = statusUrl.substring(statusUrl.indexOf("job=") + 4);
		assertThat(table.find(jobId).orElseThrow().ownedBy()).isEqualTo(new JobOwner(CLIENT, "p1"));
	}

	@Test
	void jobWithoutPatientContext_isUnknownToTheSameClientBoundToAPatient() throws Exception {
		// given: a system-level export by the client's token without a patient
		RestfulServerClient system = as(null);
		Answer kickOff = system.get("$export?_type=Patient", RestfulServerClient.kickOffHeaders());
		assertThat(kickOff.status()).as(kickOff.body()).isEqualTo(202);
		String statusUrl = kickOff.header("Content-Location");
		String fileUrl = JSON.readTree(awaitDone(system, statusUrl).body()).path("output").get(0).path("url").asText();

		// when
		RestfulServerClient patientOne = as("p1");
		Answer status = patientOne.get(statusUrl);
		Answer file = patientOne.get(fileUrl);
		Answer cancel = patientOne.delete(statusUrl);

		// then
		assertThat(status.status()).isEqualTo(404);
		assertThat(file.status()).isEqualTo(404);
		assertThat(cancel.status()).isEqualTo(404);
		assertThat(system.get(statusUrl).status()).isEqualTo(200);
	}

	private RestfulServerClient as(String patient) throws Exception {
		JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(ISSUER).audience(AUDIENCE).subject(CLIENT)
				.claim("client_id", CLIENT).claim("scope", "system/*.read")
				.expirationTime(Date.from(Instant.now().plusSeconds(300)));
		if (patient != null) {
			claims.claim("patient", patient);
		}
		SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY.getKeyID()).build(),
				claims.build());
		jwt.sign(new RSASSASigner(KEY));
		return anonymous.withHeaders("Authorization", "Bearer " + jwt.serialize());
	}

	private static Answer awaitDone(RestfulServerClient client, String statusUrl) {
		Answer[] last = new Answer[1];
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
			last[0] = client.get(statusUrl);
			return last[0].status() != 202;
		});
		assertThat(last[0].status()).as(last[0].body()).isEqualTo(200);
		return last[0];
	}

	private static RSAKey generateKey() {
		try {
			return new RSAKeyGenerator(2048).keyID("idp-1").generate();
		} catch (Exception e) {
			throw new IllegalStateException(e);
		}
	}

	/** The authorization server's JWKS, served as Nimbus fetches it in mode external. */
	private static HttpServer jwksServer() {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
			byte[] body = new JWKSet(KEY.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
			server.createContext("/jwks.json", exchange -> {
				exchange.getResponseHeaders().add("Content-Type", "application/json");
				exchange.sendResponseHeaders(200, body.length);
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(body);
				}
			});
			server.start();
			return server;
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
