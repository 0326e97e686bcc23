package hapibulk.support;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerBaseUrlTest {

	@Test
	void configured_winsOverTheRequestsHost_unsetFollowsIt() {
		// given: a request that came in with a forged Host
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/fhir/auth/token");
		request.setServerName("attacker.example");
		request.setServletPath("/fhir");
		request.setPathInfo("/auth/token");

		// when / then
		assertThat(new ServerBaseUrl("https://fhir.example.org/fhir/").of(request)).isEqualTo("https://fhir.example.org/fhir");
		assertThat(ServerBaseUrl.fromRequests().of(request)).isEqualTo("http://attacker.example/fhir");
	}

	@Test
	void notAnAbsoluteHttpUrl_refusesToStart_namingTheSetting() {
		for (String bad : new String[] {"fhir.example.org/fhir", "ftp://x/fhir", "https://x/fhir?a=b", "https://u:p@x/fhir"}) {
			assertThatThrownBy(() -> new ServerBaseUrl(bad)).isInstanceOf(IllegalArgumentException.class)
					.hasMessageContaining(ServerBaseUrl.SETTING);
		}
		assertThat(new ServerBaseUrl(" ").configured()).isFalse();
	}
}
