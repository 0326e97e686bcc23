package hapibulk.imports;

import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import hapibulk.auth.AccessGrant;
import hapibulk.auth.InvalidScopeException;
import hapibulk.auth.ScopeSet;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportPermissionsTest {

	private static final Set<String> TYPES = Set.of("Patient", "Observation", "Condition", "Encounter");

	private static AccessGrant grant(String scopes, String patient) throws InvalidScopeException {
		return new AccessGrant("client-1", ScopeSet.parse(scopes, TYPES), patient, Instant.now().plusSeconds(300));
	}

	@Test
	void eachTypeKeepsItsOwnCreateAndUpdateRights_andTheyTravelWithTheRequest() throws InvalidScopeException {
		// given
		AccessGrant grant = grant("system/Patient.c system/Observation.u system/Condition.cud system/Encounter.rs"
				+ " system/Encounter.write", null);

		// when
		ImportPermissions permissions = ImportPermissions.of(grant, List.of("Patient", "Observation", "Condition",
				"Encounter"));
		ImportRequest request = new ImportRequest(null, null, null, List.of(new ImportRequest.Input("Patient", "file:///x")),
				"http://x/$import", permissions);

		// then
		assertThat(permissions.mayCreate("Patient")).isTrue();
		assertThat(permissions.mayUpdate("Patient")).isFalse();
		assertThat(permissions.mayCreate("Observation")).isFalse();
		assertThat(permissions.mayUpdate("Observation")).isTrue();
		assertThat(permissions.mayUpdate("Condition")).isTrue();
		assertThat(permissions.mayUpdate("Encounter")).isTrue();
		assertThat(permissions.readable()).containsExactly("Encounter");
		assertThat(ImportRequest.fromJson(request.toJson()).permissions()).isEqualTo(permissions);
	}

	@Test
	void aTypeWithNeitherCreateNorUpdate_orAPatientScopedToken_isRefusedAtTheKickOff() throws InvalidScopeException {
		assertThatThrownBy(() -> ImportPermissions.of(grant("system/Patient.c system/Observation.rs", null),
				List.of("Patient", "Observation")))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0223")
				.hasMessageContaining("Observation");
		assertThatThrownBy(() -> ImportPermissions.of(grant("system/Patient.cud", "p1"), List.of("Patient")))
				.isInstanceOf(ForbiddenOperationException.class).hasMessageContaining("BULK-0224");
	}

	@Test
	void withoutAuthorization_everythingIsAllowed_andAStoredRequestWithoutRightsMeansEverything()
			throws InvalidScopeException {
		ImportPermissions all = ImportPermissions.of(AccessGrant.UNRESTRICTED, List.of("Patient"));

		assertThat(all).isEqualTo(ImportPermissions.ALL);
		assertThat(all.mayCreate("Patient") && all.mayUpdate("Observation")).isTrue();
		assertThat(ImportRequest.fromJson("{\"inputs\":[{\"type\":\"Patient\",\"url\":\"file:///x\"}]}").permissions())
				.isEqualTo(ImportPermissions.ALL);
		assertThat(ImportPermissions.of(grant("system/*.read system/Patient.c", null), List.of("Patient")).readable())
				.as("a token that reads every type but the audit trail").containsExactly("*");
		assertThat(ImportPermissions.of(grant("system/*.read system/bulk-audit system/Patient.c", null),
				List.of("Patient")).readable()).as("a token that reads every type and the audit trail").isNull();
	}
}
