package hapibulk.admin;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

class AdminPageServletTest {

	@Test
	void servesThePage_itsConfig_andNothingElse() throws Exception {
		// given
		AdminPageServlet servlet = new AdminPageServlet("/fhir", true);

		// when
		MockHttpServletResponse page = get(servlet, "/");
		MockHttpServletResponse script = get(servlet, "/admin.js");
		MockHttpServletResponse config = get(servlet, "/config.json");
		MockHttpServletResponse other = get(servlet, "/../application.yaml");
		MockHttpServletResponse bare = get(servlet, null);

		// then
		assertThat(page.getStatus()).isEqualTo(200);
		assertThat(page.getContentType()).startsWith("text/html");
		assertThat(page.getContentAsString()).contains("<title>Bulk jobs</title>").doesNotContain("<script>");
		assertThat(page.getHeader("Content-Security-Policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
		assertThat(script.getContentType()).startsWith("text/javascript");
		assertThat(script.getContentAsString()).contains("sessionStorage").doesNotContain("localStorage");
		assertThat(config.getContentAsString()).isEqualTo("{\"fhirBase\":\"/app/fhir\",\"askForToken\":true}");
		assertThat(other.getStatus()).isEqualTo(404);
		assertThat(bare.getRedirectedUrl()).isEqualTo("/app/bulk-admin/");
	}

	@Test
	void aTenantsPage_getsTheTenantsFhirBase_andOnlyAPartitionNameIsTaken() throws Exception {
		// given
		AdminPageServlet withTenants = new AdminPageServlet("/fhir", false, () -> true);
		AdminPageServlet withoutTenants = new AdminPageServlet("/fhir", false);

		// when
		MockHttpServletResponse tenantA = get(withTenants, "/config.json", "hospital_A-2");
		MockHttpServletResponse noTenant = get(withTenants, "/config.json", null);
		MockHttpServletResponse injected = get(withTenants, "/config.json", "A\",\"fhirBase\":\"https://evil.example");
		MockHttpServletResponse unpartitioned = get(withoutTenants, "/config.json", "A");
		MockHttpServletResponse unpartitionedPlain = get(withoutTenants, "/config.json", null);

		// then
		assertThat(tenantA.getContentAsString()).isEqualTo(
				"{\"fhirBase\":\"/app/fhir/hospital_A-2\",\"askForToken\":false,\"tenants\":true,\"tenant\":\"hospital_A-2\"}");
		assertThat(noTenant.getContentAsString()).isEqualTo("{\"fhirBase\":\"/app/fhir\",\"askForToken\":false,\"tenants\":true}");
		assertThat(injected.getStatus()).isEqualTo(400);
		assertThat(injected.getContentAsString()).contains("OperationOutcome", "BULK-0805").doesNotContain("evil");
		// a host without tenants: as before, and a tenant asked for is refused rather than ignored
		assertThat(unpartitionedPlain.getContentAsString()).isEqualTo("{\"fhirBase\":\"/app/fhir\",\"askForToken\":false}");
		assertThat(unpartitioned.getStatus()).isEqualTo(400);
		assertThat(unpartitioned.getContentAsString()).contains("BULK-0806");
	}

	private static MockHttpServletResponse get(AdminPageServlet servlet, String pathInfo) throws Exception {
		return get(servlet, pathInfo, null);
	}

	private static MockHttpServletResponse get(AdminPageServlet servlet, String pathInfo, String tenant) throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/app/bulk-admin" + (pathInfo == null ? "" : pathInfo));
		request.setContextPath("/app");
		request.setServletPath("/bulk-admin");
		request.setPathInfo(pathInfo);
		if (tenant != null) {
			request.setParameter("tenant", tenant);
		}
		MockHttpServletResponse response = new MockHttpServletResponse();
		servlet.service(request, response);
		return response;
	}
}
