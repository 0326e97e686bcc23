package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which types each form of search parameter reaches (FhirContext's built-in parameters). */
class SearchReachTest {

	final SearchReach reach = new SearchReach(FhirContext.forR4Cached(), null);

	@Test
	void has_reachesItsTypeAndNestedHasTypes() {
		assertThat(reach.typesReached("Patient?_has:Condition:patient:code=44054006")).containsExactly("Condition");
		assertThat(reach.typesReached("Patient?_has:Observation:patient:_has:AuditEvent:entity:agent=x"))
				.containsExactly("Observation", "AuditEvent");
		assertThat(reach.typesReached("Patient?_has:Observation:patient:performer:Practitioner.name=x"))
				.containsExactly("Observation", "Practitioner");
	}

	@Test
	void chain_withTypeModifier_reachesThatType_withoutIt_everyTarget() {
		assertThat(reach.typesReached("Observation?subject:Patient.name=Doe")).containsExactly("Patient");
		assertThat(reach.typesReached("Observation?subject.name=Doe")).contains("Patient", "Group", "Device", "Location");
		assertThat(reach.typesReached("Observation?subject:Patient.organization.name=x"))
				.containsExactly("Patient", "Organization");
	}

	@Test
	void includes_reachTheirTargets_revincludesTheirSources() {
		assertThat(reach.typesReached("Observation?_include=Observation:subject:Patient"))
				.containsExactly("Observation", "Patient");
		assertThat(reach.typesReached("Patient?_revinclude=Condition:subject")).containsExactly("Condition");
		assertThat(reach.typesReached("Patient?_include=*")).containsExactly(SearchReach.ANY);
	}

	@Test
	void plainParameters_reachNothing() {
		assertThat(reach.typesReached("Patient?name=Doe&birthdate=ge2000&_lastUpdated=gt2020")).isEmpty();
		assertThat(reach.typesReached("Observation?subject=Patient/1&code:text=x")).isEmpty();
	}

	@Test
	void unreadable_namesTheTypesOutsideTheScopes() throws Exception {
		ScopeSet patientOnly = ScopeSet.parse("system/Patient.rs", ScopeSetTest.TYPES);
		ScopeSet all = ScopeSet.parse("system/*.rs", ScopeSetTest.TYPES);

		assertThat(SearchReach.unreadable(patientOnly, reach.typesReached("Patient?_has:Condition:patient:code=x")))
				.containsExactly("Condition");
		assertThat(SearchReach.unreadable(patientOnly, reach.typesReached("Patient?link:Patient.name=x"))).isEmpty();
		assertThat(SearchReach.unreadable(patientOnly, reach.typesReached("Patient?_include=*"))).containsExactly("any type");
		assertThat(SearchReach.unreadable(all, reach.typesReached("Patient?_include=*"))).isEmpty();
	}
}
