package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class InlineMatchUrlsTest {

	final InlineMatchUrls matchUrls = new InlineMatchUrls(new SearchReach(FhirContext.forR4Cached(), null));

	@Test
	void referencesAreReadAsHapiResolvesThem() {
		assertThat(InlineMatchUrls.matchUrl("Patient?family=Smith")).isEqualTo("Patient?family=Smith");
		assertThat(InlineMatchUrls.matchUrl("http://other.example/fhir/Patient?family=Smith"))
				.isEqualTo("Patient?family=Smith");
		assertThat(InlineMatchUrls.matchUrl("Patient/?family=Smith")).isEqualTo("Patient?family=Smith");
		assertThat(InlineMatchUrls.matchUrl("Practitioner?identifier=http://npi|1/2")).isEqualTo(
				"Practitioner?identifier=http://npi|1/2");
	}

	@Test
	void theTargetTypeAndWhatItsParametersReach_areSearched() {
		// given: plain references are not searches; contained resources and Bundle entries are looked into
		Observation observation = new Observation();
		observation.setSubject(new Reference("Patient?_has:Condition:patient:code=x"));
		observation.addPerformer(new Reference("Practitioner/1"));
		Patient contained = new Patient();
		contained.setId("p");
		contained.setManagingOrganization(new Reference("Organization?name=Acme"));
		observation.addContained(contained);
		Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		bundle.addEntry().setResource(observation);

		// when / then
		assertThat(matchUrls.typesReached(observation)).containsExactlyInAnyOrder("Patient", "Condition", "Organization");
		assertThat(matchUrls.in(bundle)).containsExactlyInAnyOrder("Patient?_has:Condition:patient:code=x",
				"Organization?name=Acme");
		assertThat(matchUrls.unreadable(observation, Set.of("Patient", "Organization"))).containsExactly("Condition");
		assertThat(matchUrls.unreadable(observation, null)).isEmpty();
		assertThat(matchUrls.in(new Observation().setSubject(new Reference("Patient/1")))).isEmpty();
	}
}
