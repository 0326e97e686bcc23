package hapibulk.server;

import hapibulk.admin.AdminPageSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up line's URLs; the real line of the packaged WAR is checked by JavaJarSystemExportIT. */
class ReadyUrlsLoggerTest {

	private static final AdminPageSettings PAGE = new AdminPageSettings(true, "/bulk-admin", "/fhir");

	@Test
	void embeddedServer_namesTheFhirBaseAndTheJobPage_underItsPortAndContextPath() {
		assertThat(ReadyUrlsLogger.message("http://localhost:9090/app", null, PAGE)).isEqualTo("hapi-bulk sample server"
				+ " ready: FHIR base http://localhost:9090/app/fhir, job page http://localhost:9090/app/bulk-admin/");
	}

	@Test
	void serverBaseUrl_isThePublicAddressOfBoth() {
		assertThat(ReadyUrlsLogger.message("http://localhost:8080", "https://fhir.example.org/r4/fhir/", PAGE))
				.isEqualTo("hapi-bulk sample server ready: FHIR base https://fhir.example.org/r4/fhir,"
						+ " job page https://fhir.example.org/r4/bulk-admin/");
		assertThat(ReadyUrlsLogger.message("http://localhost:8080", "https://fhir.example.org/api", PAGE))
				.as("a public base not ending in /fhir says nothing of where the page is: the local address")
				.endsWith("FHIR base https://fhir.example.org/api, job page http://localhost:8080/bulk-admin/");
	}

	@Test
	void outsideContainer_givesPaths_andAPageSwitchedOffSaysHowToSwitchItOn() {
		assertThat(ReadyUrlsLogger.message("/hapi-bulk-starter", null, new AdminPageSettings(false, "/bulk-admin", "/fhir")))
				.isEqualTo("hapi-bulk sample server ready: FHIR base /hapi-bulk-starter/fhir, job page off "
						+ "(hapi.bulk.admin-page.enabled=false) (under this servlet container's address)");
	}
}
