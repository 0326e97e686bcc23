package hapibulk.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MediaTypesTest {

	@Test
	void kickOffAccept_mustNameFhirJson() {
		assertThat(MediaTypes.admitsFhirJson("application/fhir+json")).isTrue();
		assertThat(MediaTypes.admitsFhirJson("application/json, application/fhir+json;charset=utf-8")).isTrue();
		assertThat(MediaTypes.admitsFhirJson("application/json;charset=utf-8")).isFalse();
		assertThat(MediaTypes.admitsFhirJson("application/json+fhir")).isFalse();
		assertThat(MediaTypes.admitsFhirJson("text/html, application/fhir+json;q=0.5")).isTrue();
		assertThat(MediaTypes.admitsFhirJson(null)).isFalse();
		assertThat(MediaTypes.admitsFhirJson("*/*")).isFalse();
		assertThat(MediaTypes.admitsFhirJson("application/*")).isFalse();
		assertThat(MediaTypes.admitsFhirJson("application/fhir+json;q=0")).isFalse();
		assertThat(MediaTypes.admitsFhirJson("application/fhir+jsonx")).isFalse();
	}

	@Test
	void outcomes_areJsonOnlyForClientsAskingForPlainJson() {
		assertThat(MediaTypes.outcomeContentType("application/json")).isEqualTo("application/json");
		assertThat(MediaTypes.outcomeContentType("application/json, application/fhir+json")).isEqualTo(
				"application/fhir+json");
		assertThat(MediaTypes.outcomeContentType(null)).isEqualTo("application/fhir+json");
		assertThat(MediaTypes.outcomeContentType("*/*")).isEqualTo("application/fhir+json");
		// Found by the fuzz test: an Accept of separators only made the 400 answer itself fail.
		assertThat(MediaTypes.outcomeContentType(";;;")).isEqualTo("application/fhir+json");
		assertThat(MediaTypes.admitsFhirJson(",;,")).isFalse();
	}
}
