package hapibulk.export;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.ScopeSet;
import hapibulk.deid.DeidProfiles;
import hapibulk.deid.DeidSettings;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which profile an export gets, without a server: what {@code _anonymizationConfig} names, or what the client is
 * bound to (mode smart's registration, or mode external's claim, which DeidExportTest cannot reach: its clients
 * are registered, and a registration naming an unknown profile does not start).
 */
class ExportDeidentificationTest {

	static final FhirContext FHIR = FhirContext.forR4Cached();
	static final ExportRequest SYSTEM = ExportRequest.of(ExportLevel.SYSTEM, "http://localhost/fhir/$export");

	final ExportDeidentification withKey = new ExportDeidentification(new DeidProfiles(FHIR, new DeidSettings(Map.of(),
			new DeidSettings.Keys("crypto-key-0123456789", null, null), Map.of())));
	final ExportDeidentification withoutKey = new ExportDeidentification(new DeidProfiles(FHIR, DeidSettings.none()));

	@Test
	void namedProfile_isKeptWithItsKeyId_andAPlainRequestStaysPlain() {
		ExportRequest deid = withKey.apply(SYSTEM.withDeid("safe-harbor", null), free());

		assertThat(deid.deidProfile()).isEqualTo("safe-harbor");
		assertThat(deid.deidKeyId()).hasSize(16);
		assertThat(withKey.apply(SYSTEM, free()).deidentified()).isFalse();
	}

	@Test
	void unknownProfile_is400_andTheBuiltInWithoutItsKey_too() {
		assertThatThrownBy(() -> withKey.apply(SYSTEM.withDeid("nope", null), free()))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("BULK-0910");
		assertThatThrownBy(() -> withoutKey.apply(SYSTEM.withDeid("safe-harbor", null), free()))
				.isInstanceOf(InvalidRequestException.class).hasMessageContaining("BULK-0911")
				.hasMessageContaining("crypto-hash-key");
	}

	@Test
	void boundClient_getsItsProfileWhateverItAsks_andNothingElse() {
		assertThat(withKey.apply(SYSTEM, bound("safe-harbor")).deidProfile()).isEqualTo("safe-harbor");
		assertThatThrownBy(() -> withKey.apply(SYSTEM.withDeid("other", null), bound("safe-harbor")))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0912");
		assertThatThrownBy(() -> withKey.apply(SYSTEM.withTypeFilters(List.of("Patient?name=Doe")), bound("safe-harbor")))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0913");
		assertThatThrownBy(() -> withKey.apply(ExportRequest.of(ExportLevel.PATIENT, "u").withPatientIds(List.of("p1")),
				bound("safe-harbor"))).isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0914");
	}

	@Test
	void claimNamingAProfileThisServerDoesNotHave_exportsNothing() {
		assertThatThrownBy(() -> withKey.apply(SYSTEM, bound("someone-elses-profile")))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0916");
	}

	private static AccessGrant free() {
		return new AccessGrant("analyst", ScopeSet.parseLenient("system/*.rs", FHIR.getResourceTypes()), null,
				Instant.now().plusSeconds(60));
	}

	private static AccessGrant bound(String profile) {
		return free().withDeidProfile(profile);
	}
}
