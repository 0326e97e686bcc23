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

	private static MockHttpServletResponse get(AdminPageServlet servlet, String pathInfo) throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("GET", "/app/bulk-admin" + (pathInfo == null ? "" : pathInfo));
		request.setContextPath("/app");
		request.setServletPath("/bulk-admin");
		request.setPathInfo(pathInfo);
		MockHttpServletResponse response = new MockHttpServletResponse();
		servlet.service(request, response);
		return response;
	}
}
