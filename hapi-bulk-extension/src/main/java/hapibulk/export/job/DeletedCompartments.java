package hapibulk.export.job;

import hapibulk.tenant.Tenant;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.model.primitive.IdDt;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import hapibulk.export.job.DeletedPages.DeletedRow;
import org.hl7.fhir.instance.model.api.IBaseResource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static hapibulk.export.job.DeletedPages.MAPPER;

/** Whether a deleted resource was in the compartment of an exported patient (null sets: of any patient). */
final class DeletedCompartments {

	private static final Pattern PATIENT_REFERENCE = Pattern.compile("(?:^|/)Patient/([^/]+)");

	private final Set<Long> patientPids;
	private final Set<String> patientIds;
	private final DaoRegistry daoRegistry;
	private final FhirContext fhirContext;

	private final Tenant tenant;

	DeletedCompartments(Set<Long> patientPids, Set<String> patientIds, DaoRegistry daoRegistry, FhirContext fhirContext) {
		this(patientPids, patientIds, daoRegistry, fhirContext, null);
	}

	/** @param tenant the partition(s) a previous version is read in (the same id in another tenant is another resource) */
	DeletedCompartments(Set<Long> patientPids, Set<String> patientIds, DaoRegistry daoRegistry, FhirContext fhirContext,
			Tenant tenant) {
		this.tenant = tenant;
		this.patientPids = patientPids;
		this.patientIds = patientIds;
		this.daoRegistry = daoRegistry;
		this.fhirContext = fhirContext;
	}

	boolean contains(DeletedRow row, List<String> paths) {
		if (row.type().equals("Patient")) {
			return patientPids == null || patientPids.contains(row.pid());
		}
		JsonNode previous = previousVersion(row);
		if (previous == null) {
			return false;
		}
		List<String> references = new ArrayList<>();
		for (String path : paths) {
			// "Encounter.subject.where(resolve() is Patient)": the Patient test is the reference check below.
			String elements = path.replace(".where(resolve() is Patient)", "");
			if (elements.startsWith(row.type() + ".") && !elements.contains("(")) {
				collectReferences(previous, elements.substring(row.type().length() + 1).split("\\."), 0, references);
			}
		}
		return references.stream().map(DeletedCompartments::patientIdOf).anyMatch(id -> id != null
				&& (patientIds == null || patientIds.contains(id)));
	}

	private JsonNode previousVersion(DeletedRow row) {
		try {
			if ("JSON".equals(row.encoding()) && row.previousText() != null) {
				return MAPPER.readTree(row.previousText());
			}
			if (row.version() < 2) {
				return null;
			}
			IBaseResource resource = daoRegistry.getResourceDao(row.type()).read(
					new IdDt(row.type(), row.fhirId(), Long.toString(row.version() - 1)), tenant == null ? new SystemRequestDetails()
							: SystemRequestDetails.forRequestPartitionId(tenant.toRequestPartitionId()));
			return MAPPER.readTree(fhirContext.newJsonParser().encodeResourceToString(resource));
		} catch (JsonProcessingException e) {
			throw new IllegalStateException("Unreadable stored version of " + row.type() + "/" + row.fhirId(), e);
		}
	}

	private static void collectReferences(JsonNode node, String[] steps, int step, List<String> references) {
		if (node == null || node.isNull() || node.isMissingNode()) {
			return;
		}
		if (node.isArray()) {
			node.forEach(item -> collectReferences(item, steps, step, references));
		} else if (step == steps.length) {
			if (node.hasNonNull("reference")) {
				references.add(node.get("reference").asText());
			}
		} else {
			collectReferences(node.get(steps[step]), steps, step + 1, references);
		}
	}

	/** The id of a Patient reference ({@code Patient/1}, absolute, or versioned), else null. */
	static String patientIdOf(String reference) {
		Matcher matcher = PATIENT_REFERENCE.matcher(reference);
		return matcher.find() ? matcher.group(1) : null;
	}
}
