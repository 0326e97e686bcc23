package hapibulk.imports.job;

/**
 * A line the import's {@link WriteRights} do not allow; nothing of it is written. Thrown to undo a
 * line's transaction (cursor included) when it is stored on its own.
 */
class RefusedWriteException extends RuntimeException {

	/** Whether the resource was stored already (the line would change it), else it would create one. */
	private final boolean stored;

	RefusedWriteException(String message, boolean stored) {
		super(message);
		this.stored = stored;
	}

	boolean stored() {
		return stored;
	}
}
