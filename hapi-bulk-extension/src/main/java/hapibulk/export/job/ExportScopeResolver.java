package hapibulk.export.job;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import hapibulk.export.ExportLevel;
import hapibulk.export.ExportRequest;
import hapibulk.support.BulkErrors;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the Group and Patient ids of a request into resource keys, refusing what does not exist:
 * a missing Group or instance patient is a 404, an unknown or non-member {@code patient} a 400.
 */
public class ExportScopeResolver {

	private final StoredResourceReader reader;

	public ExportScopeResolver(StoredResourceReader reader) {
		this.reader = reader;
	}

	/** The keys that bound a Patient or Group export. */
	public record ExportScope(Long groupPid, List<Long> patientPids) {

		/** A system export's: no Group, no patients. */
		public static final ExportScope NONE = new ExportScope(null, List.of());
	}

	/**
	 * The {@code patient} values that contribute nothing: unknown to the server, or (in a Group export) not
	 * members of the Group, each with the reason. Lenient handling drops these instead of refusing the request.
	 */
	public Map<String, String> unusablePatients(ExportRequest request) {
		Map<String, String> unusable = new LinkedHashMap<>();
		Map<String, Long> known = new LinkedHashMap<>();
		for (String patientId : request.patientIds()) {
			reader.findPid("Patient", patientId, request.tenant()).ifPresentOrElse(pid -> known.put(patientId, pid),
					() -> unusable.put(patientId, unknownPatient(patientId)));
		}
		if (request.level() == ExportLevel.GROUP && !known.isEmpty()) {
			Long groupPid = reader.findPid("Group", request.groupId(), request.tenant()).orElse(null);
			if (groupPid == null) {
				return unusable; // resolve() answers the unknown Group with 404
			}
			Set<Long> members = new HashSet<>(reader.groupMembersAmong(groupPid, known.values()));
			known.forEach((patientId, pid) -> {
				if (!members.contains(pid)) {
					unusable.put(patientId, notMembers(request.groupId(), List.of("Patient/" + patientId)));
				}
			});
		}
		return unusable;
	}

	public ExportScope resolve(ExportRequest request, boolean patientInstance) {
		Long groupPid = null;
		if (request.level() == ExportLevel.GROUP) {
			groupPid = reader.findPid("Group", request.groupId(), request.tenant()).orElseThrow(() -> new ResourceNotFoundException(
					BulkErrors.code(113) + "Group/" + request.groupId() + " is not known to this server"));
		}
		Map<String, Long> patientPids = new LinkedHashMap<>();
		for (String patientId : request.patientIds()) {
			Long pid = reader.findPid("Patient", patientId, request.tenant()).orElse(null);
			if (pid == null && patientInstance) {
				throw new ResourceNotFoundException(BulkErrors.code(114) + "Patient/" + patientId + " is not known to this server");
			}
			if (pid == null) {
				throw new InvalidRequestException(unknownPatient(patientId));
			}
			patientPids.put(patientId, pid);
		}
		if (groupPid != null && !patientPids.isEmpty()) {
			Set<Long> members = new HashSet<>(reader.groupMembersAmong(groupPid, patientPids.values()));
			List<String> outsiders = patientPids.entrySet().stream()
					.filter(patient -> !members.contains(patient.getValue()))
					.map(patient -> "Patient/" + patient.getKey())
					.toList();
			if (!outsiders.isEmpty()) {
				throw new InvalidRequestException(notMembers(request.groupId(), outsiders));
			}
		}
		return new ExportScope(groupPid, List.copyOf(patientPids.values()));
	}

	/** BULK-0115, whether refused or, under lenient handling, reported: one code for one condition. */
	private static String unknownPatient(String patientId) {
		return BulkErrors.code(115) + "patient Patient/" + patientId + " is not known to this server";
	}

	/** BULK-0116, whether refused or, under lenient handling, reported. */
	private static String notMembers(String groupId, List<String> patients) {
		return BulkErrors.code(116) + "Not members of Group/" + groupId + ": " + patients;
	}
}
