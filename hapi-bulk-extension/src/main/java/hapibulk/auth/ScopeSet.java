package hapibulk.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The scopes a client holds: what it may do to which resource types. Texts are kept as granted, so
 * a token's {@code scope} echoes what the client asked for (v1 stays v1).
 *
 * @param admin whether {@link #ADMIN_SCOPE} is held: the job administration API, and no FHIR data
 * @param audit whether {@link #AUDIT_SCOPE} is held: reading (and exporting) the audit trail
 * @param submit whether {@link #SUBMIT_SCOPE} is held: {@code $bulk-submit} and {@code $bulk-submit-status}
 */
public record ScopeSet(List<SmartScope> scopes, List<String> texts, boolean admin, boolean audit, boolean submit) {

	/**
	 * The Bulk Data IG's (STU4) scope for {@code $bulk-submit} and its status; the data scopes still decide which
	 * types the submission's files may create and update, as for {@code $import}.
	 */
	public static final String SUBMIT_SCOPE = "system/bulk-submit";

	/**
	 * The administrators' scope: see and cancel every bulk job ({@code $bulk-jobs}, {@code DELETE $bulk-status}).
	 * Deliberately not shaped like a SMART resource scope, so that nothing that reads scopes as resource types
	 * (here or in another server) takes it for access to data.
	 */
	public static final String ADMIN_SCOPE = "system/bulk-admin";

	/**
	 * The auditors' scope: read, search and export AuditEvents (the audit trail holds every client's
	 * addresses, URLs and patient bindings). Shaped like {@link #ADMIN_SCOPE}, for the same reason; data
	 * scopes, {@code system/*.read} and {@code system/AuditEvent.rs} included, never reach the audit trail.
	 */
	public static final String AUDIT_SCOPE = "system/bulk-audit";

	/** The type of the audit trail, which only {@link #AUDIT_SCOPE} reads and only the server writes. */
	public static final String AUDIT_TYPE = "AuditEvent";

	public ScopeSet {
		scopes = List.copyOf(scopes);
		texts = List.copyOf(texts);
	}

	public ScopeSet(List<SmartScope> scopes, List<String> texts) {
		this(scopes, texts, false, false);
	}

	public ScopeSet(List<SmartScope> scopes, List<String> texts, boolean admin) {
		this(scopes, texts, admin, false);
	}

	public ScopeSet(List<SmartScope> scopes, List<String> texts, boolean admin, boolean audit) {
		this(scopes, texts, admin, audit, false);
	}

	/** Parses a space (or comma) separated scope string; any scope this server does not know fails it. */
	public static ScopeSet parse(String text, Set<String> knownTypes) throws InvalidScopeException {
		List<SmartScope> scopes = new ArrayList<>();
		Set<String> texts = new LinkedHashSet<>();
		boolean admin = false;
		boolean audit = false;
		boolean submit = false;
		for (String part : split(text)) {
			if (part.equals(ADMIN_SCOPE) || part.equals(AUDIT_SCOPE) || part.equals(SUBMIT_SCOPE)) {
				admin |= part.equals(ADMIN_SCOPE);
				audit |= part.equals(AUDIT_SCOPE);
				submit |= part.equals(SUBMIT_SCOPE);
				continue;
			}
			SmartScope scope = SmartScope.parse(part, knownTypes)
					.orElseThrow(() -> new InvalidScopeException("Unknown or unsupported scope '" + part + "'"));
			scopes.add(scope);
			texts.add(part);
		}
		return withRoles(scopes, List.copyOf(texts), admin, audit, submit);
	}

	/** The admin, audit and submit scopes' texts go last, so that texts and scopes keep their positions. */
	private static ScopeSet withRoles(List<SmartScope> scopes, List<String> texts, boolean admin, boolean audit,
			boolean submit) {
		List<String> allTexts = new ArrayList<>(texts);
		if (admin) {
			allTexts.add(ADMIN_SCOPE);
		}
		if (audit) {
			allTexts.add(AUDIT_SCOPE);
		}
		if (submit) {
			allTexts.add(SUBMIT_SCOPE);
		}
		return new ScopeSet(scopes, allTexts, admin, audit, submit);
	}

	/** Like {@link #parse}, but skips what it does not understand (scopes in a foreign server's token). */
	public static ScopeSet parseLenient(String text, Set<String> knownTypes) {
		List<SmartScope> scopes = new ArrayList<>();
		List<String> texts = new ArrayList<>();
		boolean admin = false;
		boolean audit = false;
		boolean submit = false;
		for (String part : split(text)) {
			admin |= part.equals(ADMIN_SCOPE);
			audit |= part.equals(AUDIT_SCOPE);
			submit |= part.equals(SUBMIT_SCOPE);
			SmartScope.parse(part, knownTypes).ifPresent(scope -> {
				scopes.add(scope);
				texts.add(part);
			});
		}
		return withRoles(scopes, texts, admin, audit, submit);
	}

	static List<String> split(String text) {
		List<String> parts = new ArrayList<>();
		for (String part : (text == null ? "" : text).split("[\\s,]+")) {
			if (!part.isBlank()) {
				parts.add(part);
			}
		}
		return parts;
	}

	/**
	 * What of {@code requested} this (registered) set allows: a requested scope it covers whole is
	 * kept as written, one it covers in part is narrowed (written in v2 syntax), others are dropped. The admin
	 * and audit scopes are granted only to a client registered with them.
	 */
	public ScopeSet grant(ScopeSet requested) {
		List<SmartScope> granted = new ArrayList<>();
		Set<String> texts = new LinkedHashSet<>();
		for (int i = 0; i < requested.scopes.size(); i++) {
			SmartScope wanted = requested.scopes.get(i);
			if (covers(wanted)) {
				granted.add(wanted);
				texts.add(requested.texts.get(i));
				continue;
			}
			for (SmartScope allowed : scopes) {
				wanted.intersect(allowed).ifPresent(part -> {
					granted.add(part);
					texts.add(part.text());
				});
			}
		}
		return withRoles(granted, List.copyOf(texts), admin && requested.admin, audit && requested.audit,
				submit && requested.submit);
	}

	/** Whether this set allows everything {@code scope} asks for. */
	boolean covers(SmartScope scope) {
		for (Permission permission : scope.permissions()) {
			boolean allowed = scopes.stream().anyMatch(s -> s.permissions().contains(permission)
					&& (s.resourceType().equals(SmartScope.ALL_TYPES) || s.resourceType().equals(scope.resourceType())));
			if (!allowed) {
				return false;
			}
		}
		return true;
	}

	/** Whether nothing at all is held (neither data scopes nor the admin or audit scope). */
	public boolean isEmpty() {
		return scopes.isEmpty() && !admin && !audit && !submit;
	}

	/**
	 * Whether {@code permission} on {@code type} is held. Reading AuditEvents takes {@link #AUDIT_SCOPE}, whatever
	 * the data scopes say; writing them no scope allows (the server refuses it, {@code AuditTrailGuard}), but the
	 * answer here follows the data scopes so that an import kick-off reports such lines one by one.
	 */
	public boolean allows(Permission permission, String type) {
		if (AUDIT_TYPE.equals(type) && (permission == Permission.READ || permission == Permission.SEARCH)) {
			return audit;
		}
		return scopes.stream().anyMatch(s -> s.appliesTo(type) && s.permissions().contains(permission));
	}

	public boolean mayRead(String type) {
		return allows(Permission.READ, type) || allows(Permission.SEARCH, type);
	}

	/** Whether every type may be read ({@code system/*.read} or {@code .r}/{@code .s}). */
	public boolean readsAllTypes() {
		return scopes.stream().anyMatch(s -> s.resourceType().equals(SmartScope.ALL_TYPES)
				&& (s.permissions().contains(Permission.READ) || s.permissions().contains(Permission.SEARCH)));
	}

	/** The named types that may be read (without {@code *}); AuditEvent only with {@link #AUDIT_SCOPE}. */
	public Set<String> readableTypes() {
		Set<String> types = new TreeSet<>();
		scopes.stream().filter(s -> !s.resourceType().equals(SmartScope.ALL_TYPES))
				.filter(s -> s.permissions().contains(Permission.READ) || s.permissions().contains(Permission.SEARCH))
				.forEach(s -> types.add(s.resourceType()));
		if (!audit) {
			types.remove(AUDIT_TYPE);
		}
		return types;
	}

	/** Whether any type may be created ({@code system/*.write}, {@code .c}, {@code .cud}). */
	public boolean mayCreateAny() {
		return scopes.stream().anyMatch(s -> s.permissions().contains(Permission.CREATE));
	}

	public Optional<String> text() {
		return texts.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", texts));
	}
}
