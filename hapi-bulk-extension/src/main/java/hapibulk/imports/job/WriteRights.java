package hapibulk.imports.job;

/**
 * What the lines of one input may do, as the kick-off's access token allowed on its type: store
 * new resources ({@code create}) and change stored ones, deleted ones included ({@code update}).
 */
record WriteRights(boolean create, boolean update) {

	static final WriteRights ALL = new WriteRights(true, true);

	/** Whether some lines may have to be refused: then each line's id is looked up before it is written. */
	boolean restricted() {
		return !(create && update);
	}
}
