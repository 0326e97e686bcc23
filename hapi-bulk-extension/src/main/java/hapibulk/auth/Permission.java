package hapibulk.auth;

import java.util.EnumSet;
import java.util.Set;

/** SMART v2 permissions, in their canonical order {@code c r u d s}; v1 {@code read}/{@code write}/{@code *} map onto them. */
public enum Permission {
	CREATE('c'), READ('r'), UPDATE('u'), DELETE('d'), SEARCH('s');

	public static final Set<Permission> V1_READ = EnumSet.of(READ, SEARCH);
	public static final Set<Permission> V1_WRITE = EnumSet.of(CREATE, UPDATE, DELETE);

	private final char letter;

	Permission(char letter) {
		this.letter = letter;
	}

	public char letter() {
		return letter;
	}
}
