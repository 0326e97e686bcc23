package hapibulk.versions;

import ca.uhn.fhir.context.FhirVersionEnum;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.RestfulServerClient;
import hapibulk.testsupport.RestfulServerClient.Answer;
import hapibulk.testsupport.TestHapiR5ServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.util.List;
import java.util.Map;

import static hapibulk.testsupport.RestfulServerClient.kickOffHeaders;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FhirVersionHostChecks} on an R5 host, over a hand-made R5 set (r5-hand-made.ndjson): R5's own types
 * (DeviceUsage) and shapes (Encounter.class as a list, Group.membership, CodeableReference), and R5's Patient
 * compartment, which left Device out and took Task in. Plus what only R5 shows: those compartment changes in
 * exports (Devices only as referenced resources) and scopes, includeAssociatedData over R5 Provenance, and R5's
 * AuditEvent.
 */
@SpringJUnitConfig(classes = {TestHapiR5ServerConfig.class, BulkConfiguration.class})
class R5HostTest extends FhirVersionHostChecks {

	@Override
	FhirVersionEnum version() {
		return FhirVersionEnum.R5;
	}

	/** The later Provenance of o1 goes in a batch of its own, so that it is the latest by lastUpdated. */
	@Override
	List<List<String>> data() {
		List<String> lines = resourceLines("r5-hand-made.ndjson");
		return List.of(lines.stream().filter(line -> !line.contains("\"prov-o1-latest\"")).toList(),
				lines.stream().filter(line -> line.contains("\"prov-o1-latest\"")).toList());
	}

	@Override
	String groupId() {
		return "g1";
	}

	@Override
	String typeOfAnotherVersion() {
		return "DeviceUseStatement";
	}

	@Override
	String typeFilter() {
		return "Observation?status=final";
	}

	@Override
	String elements() {
		return "Observation.status";
	}

	@Override
	String droppedElement() {
		return "valueQuantity";
	}

	@Override
	String importType() {
		return "DeviceUsage";
	}

	/** R5 moved R4's {@code subtype} into the required {@code code}. */
	@Override
	List<String> auditActionCodes(IBaseResource auditEvent) {
		return codesAt(auditEvent, "code.coding");
	}

	@Test
	void r5Compartment_leavesDeviceOut_andTakesDeviceUsageTaskAndProvenanceIn_devicesComeOnlyAsReferenced() {
		// when
		Map<String, String> patients = exported(awaitManifest(system.get("Patient/$export", kickOffHeaders())));
		Map<String, String> group = exported(awaitManifest(system.get("Group/g1/$export", kickOffHeaders())));
		Answer onlyDevices = system.get("Patient/$export?_type=Device", kickOffHeaders());
		Map<String, String> p1Devices = exported(awaitManifest(system.get("Patient/p1/$export?_type=DeviceUsage,Device",
				kickOffHeaders())));

		// then: the compartment types of R5, and what they reference as HAPI's reference index records it: d1 by
		// Observation.device (not by DeviceUsage.device, a CodeableReference whose R5 search parameter is a token
		// on its concept, so HAPI keeps no link for it); d2 by nothing
		List<String> referenced = List.of("Organization/org-1", "Practitioner/pr-1", "Device/d1");
		assertThat(patients.keySet()).containsExactlyInAnyOrderElementsOf(concat(List.of("Patient/p1", "Patient/p2",
				"Patient/p3", "Encounter/e1", "Encounter/e3", "Observation/o1", "Observation/o2", "DeviceUsage/du1",
				"Task/t1", "Provenance/prov-o1-first", "Provenance/prov-o1-latest", "Group/g1"), referenced));
		assertThat(group.keySet()).containsExactlyInAnyOrderElementsOf(concat(List.of("Patient/p1", "Patient/p2",
				"Encounter/e1", "Observation/o1", "Observation/o2", "DeviceUsage/du1", "Task/t1",
				"Provenance/prov-o1-first", "Provenance/prov-o1-latest", "Group/g1"), referenced));
		assertThat(JsonCompare.tree(group.get("DeviceUsage/du1")).at("/device/reference/reference").asText())
				.isEqualTo("Device/d1");
		// and Device alone is a type outside the compartment (in R4 it is inside), so it cannot be all of _type
		assertThat(onlyDevices.status()).as(onlyDevices.body()).isEqualTo(400);
		assertThat(onlyDevices.body()).contains("BULK-0136");
		assertThat(p1Devices.keySet()).containsExactlyInAnyOrder("DeviceUsage/du1", "Device/d1");
		assertThat(compartment.contains("Device")).isFalse();
	}

	private static List<String> concat(List<String> first, List<String> second) {
		return java.util.stream.Stream.concat(first.stream(), second.stream()).toList();
	}

	@Test
	void includeAssociatedData_latestProvenance_keepsTheLatestOfEachTarget() {
		// when
		Map<String, String> all = exported(awaitManifest(system.get("Patient/p1/$export?_type=Observation,Provenance",
				kickOffHeaders())));
		Map<String, String> latest = exported(awaitManifest(system.get("Patient/p1/$export?_type=Observation,Provenance"
				+ "&includeAssociatedData=LatestProvenanceResources", kickOffHeaders())));

		// then
		assertThat(all.keySet()).containsExactlyInAnyOrder("Observation/o1", "Provenance/prov-o1-first",
				"Provenance/prov-o1-latest");
		assertThat(latest.keySet()).containsExactlyInAnyOrder("Observation/o1", "Provenance/prov-o1-latest");
	}

	@Test
	void patientScopes_followR5sCompartment() {
		// given: a token bound to p1
		RestfulServerClient p1 = anonymous.withHeaders("Authorization",
				"Bearer " + IDP.token(CLIENT, "system/*.read", "p1"));

		// when / then: R5 compartment members of p1 are readable, another's and Device are not
		assertThat(p1.get("DeviceUsage/du1").status()).isEqualTo(200);
		assertThat(p1.get("Observation/o1").status()).isEqualTo(200);
		assertThat(p1.get("Observation/o2").status()).isEqualTo(403);
		assertThat(p1.get("Task/t1").status()).isEqualTo(403);
		assertThat(p1.get("Device/d1").status()).isEqualTo(403);
	}
}
