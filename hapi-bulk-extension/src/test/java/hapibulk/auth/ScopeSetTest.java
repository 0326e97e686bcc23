package hapibulk.auth;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScopeSetTest {

	static final Set<String> TYPES = Set.of("Patient", "Observation", "Condition", "Provenance");

	@Test
	void parse_v1AndV2_mixed() throws Exception {
		ScopeSet scopes = ScopeSet.parse("system/Patient.read system/Observation.rs system/Condition.cud", TYPES);

		assertThat(scopes.mayRead("Patient")).isTrue();
		assertThat(scopes.allows(Permission.SEARCH, "Observation")).isTrue();
		assertThat(scopes.mayRead("Condition")).isFalse();
		assertThat(scopes.allows(Permission.CREATE, "Condition")).isTrue();
		assertThat(scopes.allows(Permission.DELETE, "Condition")).isTrue();
		assertThat(scopes.allows(Permission.CREATE, "Patient")).isFalse();
		assertThat(scopes.readableTypes()).containsExactly("Observation", "Patient");
		assertThat(scopes.readsAllTypes()).isFalse();
		assertThat(scopes.text()).contains("system/Patient.read system/Observation.rs system/Condition.cud");
	}

	@Test
	void parse_wildcards() throws Exception {
		assertThat(ScopeSet.parse("system/*.read", TYPES).readsAllTypes()).isTrue();
		assertThat(ScopeSet.parse("system/*.rs", TYPES).mayRead("Anything")).isTrue();
		assertThat(ScopeSet.parse("system/*.write", TYPES).mayCreateAny()).isTrue();
		assertThat(ScopeSet.parse("system/*.write", TYPES).readsAllTypes()).isFalse();
		assertThat(ScopeSet.parse("system/*.*", TYPES).allows(Permission.DELETE, "Patient")).isTrue();
		assertThat(ScopeSet.parse("system/*.cruds", TYPES).allows(Permission.UPDATE, "Patient")).isTrue();
		assertThat(ScopeSet.parse("system/*.c", TYPES).mayCreateAny()).isTrue();
	}

	@Test
	void parse_refusesWhatItDoesNotKnow() {
		for (String bad : new String[] {"system/Unknown.read", "system/Patient.sr", "system/Patient.x", "system/Patient.",
				"patient/*.read", "user/Patient.read", "launch", "openid", "system/Patient.rs?category=x",
				"system/patient.read", "system/*.readwrite"}) {
			assertThatThrownBy(() -> ScopeSet.parse(bad, TYPES)).as(bad).isInstanceOf(InvalidScopeException.class);
		}
	}

	@Test
	void grant_keepsCoveredScopes_narrowsWildcards_dropsTheRest() throws Exception {
		ScopeSet registered = ScopeSet.parse("system/Patient.rs system/Observation.read", TYPES);

		assertThat(registered.grant(ScopeSet.parse("system/Patient.read", TYPES)).texts()).containsExactly("system/Patient.read");
		assertThat(registered.grant(ScopeSet.parse("system/*.read", TYPES)).texts())
				.containsExactly("system/Patient.rs", "system/Observation.rs");
		assertThat(registered.grant(ScopeSet.parse("system/Condition.read", TYPES)).isEmpty()).isTrue();
		assertThat(registered.grant(ScopeSet.parse("system/Patient.*", TYPES)).texts()).containsExactly("system/Patient.rs");
		ScopeSet writes = registered.grant(ScopeSet.parse("system/*.write", TYPES));
		assertThat(writes.isEmpty()).isTrue();
	}

	@Test
	void grant_neverMoreThanRegistered() throws Exception {
		ScopeSet registered = ScopeSet.parse("system/*.read", TYPES);
		ScopeSet granted = registered.grant(ScopeSet.parse("system/*.* system/Patient.cruds", TYPES));
		assertThat(granted.mayCreateAny()).isFalse();
		assertThat(granted.allows(Permission.DELETE, "Patient")).isFalse();
		assertThat(granted.mayRead("Patient")).isTrue();
	}

	@Test
	void adminScope_isGrantedOnlyToAClientRegisteredWithIt_andAllowsNoData() throws Exception {
		// given
		ScopeSet operator = ScopeSet.parse("system/bulk-admin", TYPES);
		ScopeSet analytics = ScopeSet.parse("system/*.rs", TYPES);

		// when
		ScopeSet granted = operator.grant(ScopeSet.parse("system/bulk-admin system/*.rs", TYPES));
		ScopeSet refused = analytics.grant(ScopeSet.parse("system/bulk-admin", TYPES));

		// then
		assertThat(operator.isEmpty()).isFalse();
		assertThat(granted.admin()).isTrue();
		assertThat(granted.texts()).containsExactly("system/bulk-admin");
		assertThat(granted.mayRead("Patient")).isFalse();
		assertThat(granted.readsAllTypes()).isFalse();
		assertThat(granted.mayCreateAny()).isFalse();
		assertThat(refused.admin()).isFalse();
		assertThat(refused.isEmpty()).isTrue();
		assertThat(ScopeSet.parseLenient("openid system/bulk-admin", TYPES).admin()).isTrue();
	}

	@Test
	void auditScope_isGrantedOnlyToAClientRegisteredWithIt_andAloneReadsAuditEvents() throws Exception {
		// given
		Set<String> types = Set.of("Patient", "AuditEvent");
		ScopeSet auditor = ScopeSet.parse("system/*.* system/bulk-audit", types);
		ScopeSet analytics = ScopeSet.parse("system/*.* system/AuditEvent.rs", types);

		// when
		ScopeSet granted = auditor.grant(ScopeSet.parse("system/bulk-audit system/bulk-admin", types));
		ScopeSet dataOnly = auditor.grant(ScopeSet.parse("system/*.read", types));
		ScopeSet refused = analytics.grant(ScopeSet.parse("system/bulk-audit system/AuditEvent.rs", types));

		// then: the audit scope reads AuditEvents, no data scope does (system/AuditEvent.rs included)
		assertThat(granted.audit()).isTrue();
		assertThat(granted.admin()).isFalse();
		assertThat(granted.texts()).containsExactly("system/bulk-audit");
		assertThat(granted.mayRead("AuditEvent")).isTrue();
		assertThat(granted.mayRead("Patient")).isFalse();
		assertThat(granted.readableTypes()).isEmpty();
		assertThat(dataOnly.mayRead("AuditEvent")).isFalse();
		assertThat(dataOnly.mayRead("Patient")).isTrue();
		assertThat(refused.audit()).isFalse();
		assertThat(refused.mayRead("AuditEvent")).isFalse();
		assertThat(refused.readableTypes()).doesNotContain("AuditEvent");
		assertThat(ScopeSet.parseLenient("openid system/bulk-audit", types).audit()).isTrue();
	}
}
