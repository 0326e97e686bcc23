package hapibulk.imports.job;

import java.util.Set;

/**
 * What the lines of one input may do, as the kick-off's access token allowed on its type: store
 * new resources ({@code create}) and change stored ones, deleted ones included ({@code update});
 * and which types their inline match URLs may search ({@code readable}, null: every type), since HAPI
 * resolves those as it stores the line.
 */
record WriteRights(boolean create, boolean update, Set<String> readable) {

	static final WriteRights ALL = new WriteRights(true, true, null);

	WriteRights {
		readable = readable == null ? null : Set.copyOf(readable);
	}

	WriteRights(boolean create, boolean update) {
		this(create, update, null);
	}

	/** Whether some lines may have to be refused: then each line's id is looked up before it is written. */
	boolean restricted() {
		return !(create && update);
	}
}
