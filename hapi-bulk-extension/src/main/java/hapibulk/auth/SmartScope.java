package hapibulk.auth;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One {@code system/} scope: a resource type (or {@code *}) and the permissions on it. Parsed from
 * v1 ({@code system/Patient.read}, {@code .write}, {@code .*}) and v2 ({@code system/Patient.rs},
 * {@code .cruds}, letters in that order) syntax.
 *
 * @param resourceType a FHIR resource type, or {@code *} for all
 */
public record SmartScope(String resourceType, Set<Permission> permissions) {

	public static final String ALL_TYPES = "*";
	private static final Pattern SYNTAX = Pattern.compile("system/(\\*|[A-Z][A-Za-z]+)\\.([a-z*]+)");
	private static final Pattern V2_PERMISSIONS = Pattern.compile("c?r?u?d?s?");

	public SmartScope {
		permissions = Set.copyOf(permissions);
	}

	/**
	 * @param knownTypes the server's resource types; a scope on any other type is unknown
	 * @return the scope, or empty when the text is not a system scope this server understands
	 *         (patient/user scopes, granular {@code ?} filters, unknown types or actions)
	 */
	public static Optional<SmartScope> parse(String text, Set<String> knownTypes) {
		Matcher matcher = SYNTAX.matcher(text);
		if (!matcher.matches()) {
			return Optional.empty();
		}
		String type = matcher.group(1);
		if (!type.equals(ALL_TYPES) && !knownTypes.contains(type)) {
			return Optional.empty();
		}
		return permissions(matcher.group(2)).map(permissions -> new SmartScope(type, permissions));
	}

	private static Optional<Set<Permission>> permissions(String action) {
		return switch (action) {
			case "read" -> Optional.of(Permission.V1_READ);
			case "write" -> Optional.of(Permission.V1_WRITE);
			case "*" -> Optional.of(EnumSet.allOf(Permission.class));
			default -> {
				if (!V2_PERMISSIONS.matcher(action).matches() || action.isEmpty()) {
					yield Optional.empty();
				}
				Set<Permission> result = EnumSet.noneOf(Permission.class);
				for (Permission permission : Permission.values()) {
					if (action.indexOf(permission.letter()) >= 0) {
						result.add(permission);
					}
				}
				yield Optional.of(result);
			}
		};
	}

	public boolean appliesTo(String type) {
		return resourceType.equals(ALL_TYPES) || resourceType.equals(type);
	}

	/** What this scope and another both allow, if anything. */
	public Optional<SmartScope> intersect(SmartScope other) {
		String type;
		if (resourceType.equals(ALL_TYPES)) {
			type = other.resourceType;
		} else if (other.resourceType.equals(ALL_TYPES) || other.resourceType.equals(resourceType)) {
			type = resourceType;
		} else {
			return Optional.empty();
		}
		Set<Permission> common = EnumSet.noneOf(Permission.class);
		common.addAll(permissions);
		common.retainAll(other.permissions);
		return common.isEmpty() ? Optional.empty() : Optional.of(new SmartScope(type, common));
	}

	/** The v2 form: {@code system/Patient.rs}. */
	public String text() {
		return "system/" + resourceType + "." + EnumSet.copyOf(permissions).stream()
				.map(p -> String.valueOf(p.letter())).collect(Collectors.joining());
	}
}
