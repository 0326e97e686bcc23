package hapibulk.imports.job;

import java.util.List;

/**
 * The order in which inputs are stored, by resource type, so that a resource's references point
 * at resources already stored (HAPI checks referential integrity on write), whatever order the
 * client listed its inputs in. Inputs are grouped in waves: a wave runs only after the previous one
 * finished; the inputs of one wave run in parallel. Each listed type is a wave of its own, referenced
 * types first; types not listed share one wave before the types that may reference anything.
 */
final class ImportTypeOrder {

	/** Referenced types before their referrers (e.g. Encounter before Condition, Condition before Procedure). */
	private static final List<String> REFERENCED_FIRST = List.of("Organization", "Endpoint", "Location",
			"Practitioner", "HealthcareService", "PractitionerRole", "Substance", "Medication", "Patient",
			"RelatedPerson", "Person", "Group", "Device", "Coverage", "Account", "EpisodeOfCare", "CareTeam",
			"Encounter", "Condition", "AllergyIntolerance", "Specimen", "Observation", "DiagnosticReport", "Procedure",
			"Immunization", "Goal", "ServiceRequest", "MedicationRequest", "MedicationAdministration",
			"MedicationDispense", "MedicationStatement", "CarePlan", "ImagingStudy", "DocumentReference", "Media",
			"SupplyDelivery", "Claim", "ExplanationOfBenefit");
	/** Types whose references may point at any other type: last. */
	private static final List<String> REFERENCING_ANYTHING = List.of("Composition", "List", "AuditEvent", "Provenance",
			"Bundle");

	private ImportTypeOrder() {}

	static int wave(String type) {
		int listed = REFERENCED_FIRST.indexOf(type);
		if (listed >= 0) {
			return listed;
		}
		int last = REFERENCING_ANYTHING.indexOf(type);
		if (last >= 0) {
			return REFERENCED_FIRST.size() + 1 + last;
		}
		return REFERENCED_FIRST.size();
	}
}
