package hapibulk.support.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import hapibulk.export.PatientCompartment;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seam to the host's FHIR version: which versions start, the AuditEvent of each, the compartment of each. */
class FhirVersionSupportTest {

	@Test
	void dstu2AndDstu3_areRefused_withBulk0560_namingTheVersion() {
		assertThatThrownBy(() -> FhirVersionSupport.of(FhirContext.forDstu3Cached()))
				.isInstanceOf(IllegalStateException.class)
				.hasMessageStartingWith("BULK-0560").hasMessageContaining("DSTU3").hasMessageContaining("R4, R4B and R5");
		assertThatThrownBy(() -> FhirVersionSupport.of(FhirContext.forDstu2Hl7OrgCached()))
				.hasMessageStartingWith("BULK-0560");
	}

	/**
	 * Each version's AuditEvent passes the version's own validator (structure, cardinalities, bindings). R4B's is
	 * R4's, built by the same code (R4BHostTest stores it through R4B's parser); its validator is left out for time.
	 */
	@ParameterizedTest
	@ValueSource(strings = {"R4", "R5"})
	void auditEvent_isAValidAuditEventOfTheVersion(String version) {
		// given
		FhirContext fhirContext = context(version);
		Map<String, String> details = new LinkedHashMap<>();
		details.put("job", "j-1");
		details.put("types", "Patient,Observation");
		AuditEventFacts facts = new AuditEventFacts("export-kickoff", "E", Instant.parse("2026-01-02T03:04:05.678Z"),
				false, "client-1", "127.0.0.1", "$export", details);

		// when
		IBaseResource event = FhirVersionSupport.of(fhirContext).auditEvent(facts);

		// then
		assertThat(event.getStructureFhirVersionEnum()).isEqualTo(fhirContext.getVersion().getVersion());
		List<SingleValidationMessage> errors = validator(fhirContext).validateWithResult(event).getMessages().stream()
				.filter(message -> message.getSeverity().ordinal() >= ResultSeverityEnum.ERROR.ordinal()).toList();
		assertThat(errors).as(fhirContext.newJsonParser().encodeResourceToString(event)).isEmpty();
		String json = fhirContext.newJsonParser().encodeResourceToString(event);
		assertThat(json).contains("\"export-kickoff\"").contains("client-1").contains("127.0.0.1").contains("j-1")
				.contains("2026-01-02T03:04:05.678Z");
		var terser = fhirContext.newTerser();
		if (version.equals("R5")) {
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "code.coding.code")).isEqualTo("export-kickoff");
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "outcome.code.code")).isEqualTo("4");
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "entity.what.display")).isEqualTo("$export");
		} else {
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "subtype.code")).isEqualTo("export-kickoff");
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "outcome")).isEqualTo("4");
			assertThat(terser.getSinglePrimitiveValueOrNull(event, "entity.name")).isEqualTo("$export");
		}
	}

	/**
	 * From R4B on a search parameter shared by several types has one expression for all of them: a type's
	 * compartment paths must be its own (they are what HAPI stores in HFJ_RES_LINK.SRC_PATH).
	 */
	@ParameterizedTest
	@ValueSource(strings = {"R4", "R4B", "R5"})
	void patientCompartment_pathsOfEachTypeAreThatTypesOwn(String version) {
		PatientCompartment compartment = new PatientCompartment(context(version));
		for (String type : compartment.types()) {
			// R5 also has cast expressions: "(NutritionIntake.reported as Reference)"
			assertThat(compartment.paths(type)).as(type)
					.allMatch(path -> path.replaceFirst("^\\(", "").startsWith(type + "."));
		}
		assertThat(compartment.paths("Encounter")).containsExactly("Encounter.subject.where(resolve() is Patient)");
	}

	@Test
	void patientCompartment_isTheVersions_r5LeftDeviceOutAndTookTaskIn() {
		PatientCompartment r4 = new PatientCompartment(context("R4"));
		PatientCompartment r5 = new PatientCompartment(context("R5"));
		assertThat(r4.contains("Device")).isTrue();
		assertThat(r4.contains("Task")).isFalse();
		assertThat(r5.contains("Device")).isFalse();
		assertThat(r5.contains("Task")).isTrue();
		assertThat(r5.contains("DeviceUsage")).isTrue();
		assertThat(r5.paths("Provenance")).containsExactly("Provenance.patient");
	}

	/** The export's SQL names these paths of HFJ_RES_LINK: they must be what each version's context gives. */
	@ParameterizedTest
	@ValueSource(strings = {"R4", "R4B", "R5"})
	void groupMemberAndProvenanceTargetPaths_areTheOnesTheExportSqlNames(String version) {
		FhirContext fhirContext = context(version);
		assertThat(fhirContext.getResourceDefinition("Group").getSearchParam("member")
				.getPathsSplitForResourceType("Group")).containsExactly("Group.member.entity");
		assertThat(fhirContext.getResourceDefinition("Provenance").getSearchParam("target")
				.getPathsSplitForResourceType("Provenance")).containsExactly("Provenance.target");
	}

	private static FhirContext context(String version) {
		return switch (version) {
			case "R4" -> FhirContext.forR4Cached();
			case "R4B" -> FhirContext.forR4BCached();
			case "R5" -> FhirContext.forR5Cached();
			default -> throw new IllegalArgumentException(version);
		};
	}

	private static FhirValidator validator(FhirContext fhirContext) {
		ValidationSupportChain support = new ValidationSupportChain(new DefaultProfileValidationSupport(fhirContext),
				new InMemoryTerminologyServerValidationSupport(fhirContext),
				new CommonCodeSystemsTerminologyService(fhirContext), new SnapshotGeneratingValidationSupport(fhirContext));
		FhirValidator validator = fhirContext.newValidator();
		validator.registerValidatorModule(new FhirInstanceValidator(support));
		return validator;
	}
}
