package hapibulk.export.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hapibulk.storage.BulkFileStore;
import hapibulk.support.BulkJson;
import org.springframework.batch.item.ExecutionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One chunk of an export organised by patient ({@code organizeOutputBy=Patient}): for each next
 * patient in scope, a block of a header {@code Parameters} line naming the patient, then the patient,
 * then the resources of its compartment, type by type. A patient with nothing to export gets no block.
 * The chunk ends after the patient that reaches the page limits, so a restart redoes at most the
 * patients of one chunk, from the committed length of the part file.
 */
class PatientBlockExporter {

	private static final String MEMBERS = "export.blockMembers";
	private static final ObjectMapper JSON = BulkJson.MAPPER;

	private final StoredResourceReader reader;
	private final BulkFileStore fileStore;
	private final ExportLimits limits;

	PatientBlockExporter(StoredResourceReader reader, BulkFileStore fileStore, ExportLimits limits) {
		this.reader = reader;
		this.fileStore = fileStore;
		this.limits = limits;
	}

	static void writeMembers(ExecutionContext context, List<ExportFilter> members) {
		context.putString(MEMBERS, ExportFilter.listToJson(members));
	}

	static boolean isBlockPartition(ExecutionContext context) {
		return context.containsKey(MEMBERS);
	}

	/** @param deid the de-identification stage, or null: then lines and headers carry the stored ids */
	ExportChunk exportChunk(ExecutionContext context, ExportCursor cursor, DeidentifiedLines deid) throws IOException {
		List<ExportFilter> members = ExportFilter.listFromJson(context.getString(MEMBERS));
		StoredResourceReader.Page patients = reader.readPage(cursor.filter(), cursor.lastPid(), limits.pageSize(),
				limits.pageBytes());
		if (patients.resources().isEmpty()) {
			return new ExportChunk(cursor, 0, false);
		}
		NdjsonResourceEncoder encoder = new NdjsonResourceEncoder();
		long resources = 0;
		long bytes = 0;
		long lastPatient = cursor.lastPid();
		boolean stoppedEarly = false;
		try (PartFileWriter writer = new PartFileWriter(fileStore, cursor, limits.maxResourcesPerFile(),
				limits.maxFileBytes())) {
			for (StoredResource patient : patients.resources()) {
				byte[] header = header(deid == null ? patient.fhirId() : deid.patientId(patient.fhirId()));
				boolean started = false;
				for (ExportFilter member : members) {
					ElementsSubsetter subsetter = member.elements().isEmpty() ? null : new ElementsSubsetter(member.elements());
					long afterPid = Long.MIN_VALUE;
					StoredResourceReader.Page page;
					do {
						page = reader.readBlockPage(member, patient.pid(), afterPid, limits.pageSize(), limits.pageBytes());
						for (StoredResource resource : page.resources()) {
							if (!started) {
								writer.startBlock(header);
								started = true;
							}
							byte[] line = encoder.encode(resource);
							line = deid == null ? line : deid.resource(line);
							line = subsetter == null ? line : subsetter.subset(line);
							writer.write(line);
							resources++;
							bytes += line.length;
							afterPid = resource.pid();
						}
					} while (page.more());
				}
				lastPatient = patient.pid();
				if (resources >= limits.pageSize() || bytes >= limits.pageBytes()) {
					stoppedEarly = lastPatient != patients.resources().get(patients.resources().size() - 1).pid();
					break;
				}
			}
			ExportCursor next = writer.commit().afterPid(lastPatient);
			return new ExportChunk(next, resources, stoppedEarly || patients.more());
		}
	}

	private static byte[] header(String patientId) {
		ObjectNode parameters = JSON.createObjectNode().put("resourceType", "Parameters");
		ObjectNode parameter = parameters.putArray("parameter").addObject().put("name", "header");
		if (patientId != null) {
			parameter.putObject("valueReference").put("reference", "Patient/" + patientId);
		}
		return (parameters + "\n").getBytes(StandardCharsets.UTF_8);
	}
}
