package hapibulk.auth;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceAccessDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.util.BundleUtil;
import ca.uhn.fhir.util.bundle.BundleEntryParts;
import org.hl7.fhir.instance.model.api.IBaseBundle;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

import java.util.Arrays;
import java.util.Set;

import static hapibulk.auth.ScopeSet.AUDIT_TYPE;

/**
 * Keeps the audit trail append-only and readable only with {@value ScopeSet#AUDIT_SCOPE}. AuditEvents are written by
 * the server itself (through HAPI's DAO, as the system): no client request creates, updates, patches, deletes or
 * expunges one, in any auth mode, whether directly, in a transaction or batch, by a conditional or cascading delete
 * (403). Reading them (read, search, history, {@code _type}, transaction GET entries) needs the audit scope when
 * authorization is on (403); where they would come along unasked (includes, {@code $everything}, system history
 * and searches) they are left out of the answer. {@code $import} lines and {@code $export} types are checked by
 * the import and export themselves.
 */
@Interceptor
public class AuditTrailGuard {

	private static final Set<RestOperationTypeEnum> WRITES = Set.of(RestOperationTypeEnum.CREATE,
			RestOperationTypeEnum.UPDATE, RestOperationTypeEnum.DELETE, RestOperationTypeEnum.PATCH,
			RestOperationTypeEnum.META_ADD, RestOperationTypeEnum.META_DELETE);
	private static final Set<RestOperationTypeEnum> READS = Set.of(RestOperationTypeEnum.READ,
			RestOperationTypeEnum.VREAD, RestOperationTypeEnum.SEARCH_TYPE, RestOperationTypeEnum.HISTORY_TYPE,
			RestOperationTypeEnum.HISTORY_INSTANCE, RestOperationTypeEnum.META);
	/** Operations on AuditEvent that change nothing stored. */
	private static final Set<String> HARMLESS_OPERATIONS = Set.of("$validate", "$meta");

	private final FhirContext fhirContext;
	private final BulkAuthorization authorization;

	public AuditTrailGuard(FhirContext fhirContext, BulkAuthorization authorization) {
		this.fhirContext = fhirContext;
		this.authorization = authorization;
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void refuseRequests(RequestDetails request, RestOperationTypeEnum operation) {
		if (operation == null) {
			return;
		}
		boolean onTrail = AUDIT_TYPE.equals(request.getResourceName());
		if (onTrail && (WRITES.contains(operation) || isChangingOperation(request, operation))) {
			throw appendOnly();
		}
		if (operation == RestOperationTypeEnum.TRANSACTION || operation == RestOperationTypeEnum.BATCH) {
			checkEntries(request);
			return;
		}
		boolean reads = (onTrail && READS.contains(operation))
				|| ((operation == RestOperationTypeEnum.SEARCH_SYSTEM || operation == RestOperationTypeEnum.HISTORY_SYSTEM)
						&& namesTrail(request.getParameters().get("_type")));
		if (reads && !mayRead(request)) {
			throw unreadable();
		}
	}

	/** Left out wherever they would come along with other resources (includes, $everything, system searches, history). */
	@Hook(Pointcut.STORAGE_PREACCESS_RESOURCES)
	public void hideFromReaders(IPreResourceAccessDetails details, RequestDetails request) {
		if (request == null || mayRead(request)) {
			return;
		}
		for (int i = 0; i < details.size(); i++) {
			IBaseResource resource = details.getResource(i);
			if (resource != null && AUDIT_TYPE.equals(fhirContext.getResourceType(resource))) {
				details.setDontReturnResourceAtIndex(i);
			}
		}
	}

	/** A client request that reaches an AuditEvent in storage by any other way (conditional or cascading deletes...). */
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void refuseCreate(IBaseResource resource, ServletRequestDetails client) {
		refuseStorage(resource, client);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void refuseUpdate(IBaseResource previous, IBaseResource updated, ServletRequestDetails client) {
		refuseStorage(previous, client);
		refuseStorage(updated, client);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
	public void refuseDelete(IBaseResource resource, ServletRequestDetails client) {
		refuseStorage(resource, client);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_EXPUNGE_RESOURCE)
	public void refuseExpunge(IIdType id, ServletRequestDetails client) {
		if (client != null && id != null && AUDIT_TYPE.equals(id.getResourceType())) {
			throw storageRefusal();
		}
	}

	/** Expunging everything takes the audit trail with it. */
	@Hook(Pointcut.STORAGE_PRESTORAGE_EXPUNGE_EVERYTHING)
	public void refuseExpungeEverything(ServletRequestDetails client) {
		if (client != null) {
			throw storageRefusal();
		}
	}

	private void refuseStorage(IBaseResource resource, ServletRequestDetails client) {
		// The server's own writes (the audit's, an import's) come with a SystemRequestDetails, never a servlet request.
		if (client != null && resource != null && AUDIT_TYPE.equals(fhirContext.getResourceType(resource))) {
			throw storageRefusal();
		}
	}

	private void checkEntries(RequestDetails request) {
		if (!(request.getResource() instanceof IBaseBundle bundle)) {
			return;
		}
		for (BundleEntryParts entry : BundleUtil.toListOfEntries(fhirContext, bundle)) {
			RequestTypeEnum method = entry.getRequestType();
			String url = entry.getUrl() == null ? "" : entry.getUrl();
			boolean onTrail = url.equals(AUDIT_TYPE) || url.startsWith(AUDIT_TYPE + "/") || url.startsWith(AUDIT_TYPE + "?")
					|| (entry.getResource() != null && AUDIT_TYPE.equals(fhirContext.getResourceType(entry.getResource())));
			if (!onTrail) {
				continue;
			}
			if (method == RequestTypeEnum.GET || method == RequestTypeEnum.HEAD) {
				if (!mayRead(request)) {
					throw unreadable();
				}
			} else {
				throw appendOnly();
			}
		}
	}

	private static boolean isChangingOperation(RequestDetails request, RestOperationTypeEnum operation) {
		return (operation == RestOperationTypeEnum.EXTENDED_OPERATION_TYPE
				|| operation == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE)
				&& !HARMLESS_OPERATIONS.contains(request.getOperation());
	}

	private static boolean namesTrail(String[] types) {
		return types != null && Arrays.stream(types).flatMap(value -> Arrays.stream(value.split(",")))
				.anyMatch(type -> type.trim().equals(AUDIT_TYPE));
	}

	/** Anyone in mode none; else a token holding the audit scope. */
	private boolean mayRead(RequestDetails request) {
		if (!authorization.enabled()) {
			return true;
		}
		return request.getUserData().get(BulkAuthorization.GRANT_KEY) instanceof AccessGrant grant
				&& grant.scopes() != null && grant.scopes().audit();
	}

	private static RuntimeException appendOnly() {
		return BulkAuthorization.forbidden(350, "The audit trail is append-only: AuditEvents are written by this server"
				+ " alone, and no client may create, change or delete one");
	}

	private static RuntimeException unreadable() {
		return BulkAuthorization.forbidden(351, "Reading AuditEvents needs the " + ScopeSet.AUDIT_SCOPE + " scope");
	}

	private static RuntimeException storageRefusal() {
		return BulkAuthorization.forbidden(354, "This request would change or remove AuditEvents: the audit trail is"
				+ " append-only");
	}
}
