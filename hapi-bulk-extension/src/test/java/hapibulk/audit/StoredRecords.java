package hapibulk.audit;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link BulkAudit} without a FHIR store that keeps what it would have stored (its log lines are real). */
public class StoredRecords extends BulkAudit {

	private final List<AuditRecord> stored = new CopyOnWriteArrayList<>();

	public StoredRecords(Clock clock) {
		super(null, null, clock);
	}

	@Override
	public void record(AuditRecord record) {
		stored.add(record);
		super.record(record);
	}

	public List<AuditRecord> stored() {
		return stored;
	}
}
