package hapibulk.versions;

import ca.uhn.fhir.context.FhirVersionEnum;
import hapibulk.config.BulkConfiguration;
import hapibulk.testsupport.JsonCompare;
import hapibulk.testsupport.SyntheaData;
import hapibulk.testsupport.TestHapiR4BServerConfig;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.test.context.junit.jupiter.SpringJUnitConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@link FhirVersionHostChecks} on an R4B host, over the shared Synthea data (R4), each line read by the R4B
 * parser: R4B left the types Synthea writes as R4 had them (all 7,160 lines parse under a strict R4B parser).
 * The three largest types (MedicationRequest, Procedure, DocumentReference) are left out to keep the run short;
 * 2,144 resources of ten types remain.
 */
@SpringJUnitConfig(classes = {TestHapiR4BServerConfig.class, BulkConfiguration.class})
class R4BHostTest extends FhirVersionHostChecks {

	private static final List<String> LEFT_OUT = List.of("MedicationRequest", "Procedure", "DocumentReference");

	@Override
	FhirVersionEnum version() {
		return FhirVersionEnum.R4B;
	}

	/** The kept Synthea types in dependency order, then a Group of three patients (R4B's Group, with actual). */
	@Override
	List<List<String>> data() {
		List<List<String>> batches = new ArrayList<>();
		for (String type : SyntheaData.DEPENDENCY_ORDER) {
			if (!LEFT_OUT.contains(type)) {
				batches.add(SyntheaData.lines(type));
			}
		}
		String members = SyntheaData.lines("Patient").stream().limit(3)
				.map(line -> "{\"entity\":{\"reference\":\"Patient/" + JsonCompare.tree(line).get("id").asText() + "\"}}")
				.collect(Collectors.joining(","));
		batches.add(List.of("{\"resourceType\":\"Group\",\"id\":\"" + groupId()
				+ "\",\"type\":\"person\",\"actual\":true,\"member\":[" + members + "]}"));
		return batches;
	}

	@Override
	String groupId() {
		return "synthea-three";
	}

	@Override
	String typeOfAnotherVersion() {
		return "DeviceUsage";
	}

	@Override
	String typeFilter() {
		return "Condition?clinical-status=active";
	}

	@Override
	String elements() {
		return "Condition.clinicalStatus";
	}

	@Override
	String droppedElement() {
		return "onsetDateTime";
	}

	@Override
	String importType() {
		return "Immunization";
	}

	/** R4B kept R4's AuditEvent: the action is a {@code subtype}. */
	@Override
	List<String> auditActionCodes(IBaseResource auditEvent) {
		return codesAt(auditEvent, "subtype");
	}
}
