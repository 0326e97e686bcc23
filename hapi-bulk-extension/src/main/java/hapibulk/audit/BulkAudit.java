package hapibulk.audit;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.support.fhir.AuditEventFacts;
import hapibulk.support.fhir.FhirVersionSupport;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import hapibulk.support.BulkJson;

import java.time.Clock;
import java.util.Date;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Records bulk actions twice: at once as one JSON line on the {@code hapibulk.audit} logger, and
 * as a FHIR AuditEvent stored through HAPI's DAO. The DAO write runs on a background thread with a
 * {@link SystemRequestDetails} (so it never passes through the server's authorization and never
 * slows or breaks the audited request); a write that fails is logged. The log line is the record of
 * last resort: an AuditEvent still queued when the process dies is lost.
 */
public class BulkAudit implements AutoCloseable {

	public static final String LOGGER = "hapibulk.audit";
	/** The code system of the actions: R4's AuditEvent.subtype, R5's AuditEvent.code. */
	public static final String SUBTYPE_SYSTEM = AuditEventFacts.ACTION_SYSTEM;
	private static final Logger AUDIT_LOG = LoggerFactory.getLogger(LOGGER);
	private static final Logger LOG = LoggerFactory.getLogger(BulkAudit.class);
	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final DaoRegistry daoRegistry;
	private final FhirVersionSupport fhirVersion;
	private final Clock clock;
	private final RequestPartitionId partition;
	private final ExecutorService writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
			new LinkedBlockingQueue<>(10_000), runnable -> {
				Thread thread = new Thread(runnable, "hapi-bulk-audit");
				thread.setDaemon(true);
				return thread;
			}, (runnable, executor) -> LOG.warn("Audit queue full: an AuditEvent was not stored (its log line was written)"));

	/**
	 * @param daoRegistry HAPI's DAOs, or null to write only the log line
	 * @param fhirVersion the host's FHIR version, which shapes the AuditEvent (may be null without DAOs)
	 */
	public BulkAudit(DaoRegistry daoRegistry, FhirVersionSupport fhirVersion, Clock clock) {
		this(daoRegistry, fhirVersion, clock, null);
	}

	/**
	 * @param partition on a partitioned host HAPI's DEFAULT partition, where the AuditEvents go, named explicitly (a
	 *                  system request without a partition reaches no identifying hook and HAPI refuses it, HAPI-1319);
	 *                  null on an unpartitioned host. The audit trail is the operator's, not a tenant's; each event
	 *                  names its tenant (docs/tenants.md).
	 */
	public BulkAudit(DaoRegistry daoRegistry, FhirVersionSupport fhirVersion, Clock clock, RequestPartitionId partition) {
		this.partition = partition;
		this.daoRegistry = daoRegistry;
		this.fhirVersion = fhirVersion;
		this.clock = clock;
	}

	/** The log line, and the stored AuditEvent. */
	public void record(AuditRecord record) {
		Date now = Date.from(clock.instant());
		AUDIT_LOG.info(logLine(record, now));
		if (daoRegistry != null && daoRegistry.isResourceTypeSupported("AuditEvent")) {
			writer.execute(() -> store(record, now));
		}
	}

	/** The log line only: for records of a flood whose AuditEvents are coalesced ({@link CoalescedAudit}). */
	public void log(AuditRecord record) {
		AUDIT_LOG.info(logLine(record, Date.from(clock.instant())));
	}

	static String logLine(AuditRecord record, Date now) {
		ObjectNode node = JSON.createObjectNode();
		node.put("time", now.toInstant().toString());
		node.put("action", record.action().code());
		node.put("outcome", record.success() ? "success" : "failure");
		node.put("client", record.clientId());
		node.put("address", record.address());
		node.put("operation", record.operation());
		record.details().forEach(node::put);
		return node.toString();
	}

	private void store(AuditRecord record, Date now) {
		try {
			daoRegistry.getResourceDao("AuditEvent").create(toAuditEvent(record, now), partition != null
					? SystemRequestDetails.forRequestPartitionId(partition) : new SystemRequestDetails());
		} catch (RuntimeException e) {
			LOG.warn("Could not store the AuditEvent for {}: {}", record.action().code(), e.toString());
		}
	}

	IBaseResource toAuditEvent(AuditRecord record, Date now) {
		return fhirVersion.auditEvent(new AuditEventFacts(record.action().code(), record.action().fhirAction(),
				now.toInstant(), record.success(), record.clientId(), record.address(), record.operation(),
				record.details()));
	}

	@Override
	public void close() throws InterruptedException {
		writer.shutdown();
		writer.awaitTermination(10, TimeUnit.SECONDS);
	}
}
