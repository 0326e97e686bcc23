package hapibulk.export;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Every check of {@link ExportKickOffConformanceChecks} in auth mode {@code none}: requests without a token. */
class ExportKickOffConformanceTest extends ExportKickOffConformanceChecks {

	@DynamicPropertySource
	static void noAuthorization(DynamicPropertyRegistry registry) {
		registry.add("hapi.bulk.auth.mode", () -> "none");
	}
}
