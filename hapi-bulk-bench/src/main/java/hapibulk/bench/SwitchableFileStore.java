package hapibulk.bench;

import hapibulk.storage.BulkFileStore;
import hapibulk.storage.ForwardingFileStore;

/**
 * The host's own {@link BulkFileStore} (the extension's backs off): local files or S3, switched between
 * measured exports, so both run in one process on one database.
 */
final class SwitchableFileStore extends ForwardingFileStore {

	private volatile BulkFileStore current;

	SwitchableFileStore(BulkFileStore initial) {
		this.current = initial;
	}

	void use(BulkFileStore store) {
		current = store;
	}

	@Override
	protected BulkFileStore delegate() {
		return current;
	}
}
